//! The demo's tickets as stories: who wrote in, and what the team and the customer did next, in
//! order, each step some minutes after the one before. Oldest story first, so numbers follow time.

use ferrodesk_shared::tickets::Priority::{self, High, Low, Normal, Urgent};
use ferrodesk_shared::tickets::TicketStatus::{self, Closed, Pending, Solved};

use self::Step::{Note, Reply, Status, Triage};

/// Who acts in a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The customer of the ticket (only when they have an account).
    Requester,
    Owner,
    Supervisor,
    Agent(usize),
}

pub enum Opener {
    /// One of `cast::CUSTOMERS`, writing in from the help centre.
    Customer(usize),
    /// Staff open the ticket for someone who phoned or emailed and has no account yet.
    OnBehalf {
        by: Who,
        name: &'static str,
        email: &'static str,
    },
}

/// One thing done to a ticket, the given number of minutes after the previous step.
pub enum Step {
    Reply(u32, Who, &'static str),
    /// An internal note: staff only.
    Note(u32, Who, &'static str),
    /// Sets the story's priority, category and tags, and assigns the ticket (`None`: leaves it unassigned).
    Triage(u32, Who, Option<Who>),
    Status(u32, Who, TicketStatus),
}

impl Step {
    pub fn minutes_after_previous(&self) -> u32 {
        match self {
            Reply(minutes, ..) | Note(minutes, ..) | Triage(minutes, ..) | Status(minutes, ..) => *minutes,
        }
    }
}

pub struct Story {
    pub hours_ago: u32,
    pub opener: Opener,
    pub subject: &'static str,
    pub body: &'static str,
    pub priority: Priority,
    pub category: Option<&'static str>,
    pub tags: &'static [&'static str],
    pub steps: &'static [Step],
}

const HOUR: u32 = 60;
const DAY: u32 = 24 * HOUR;

const CUSTOMER: Who = Who::Requester;
const OLIVIA: Who = Who::Owner;
const MARCUS: Who = Who::Supervisor;
const PRIYA: Who = Who::Agent(0);
const TOMAS: Who = Who::Agent(1);
const HANNAH: Who = Who::Agent(2);

const EMMA: Opener = Opener::Customer(0);
const JAMES: Opener = Opener::Customer(1);
const SOFIA: Opener = Opener::Customer(2);
const LIAM: Opener = Opener::Customer(3);
const AISHA: Opener = Opener::Customer(4);
const NOAH: Opener = Opener::Customer(5);
const CHLOE: Opener = Opener::Customer(6);
const DANIEL: Opener = Opener::Customer(7);
const GRACE: Opener = Opener::Customer(8);
const MATEO: Opener = Opener::Customer(9);

pub const STORIES: &[Story] = &[
    Story {
        hours_ago: 330,
        opener: EMMA,
        subject: "Charged twice for my monthly subscription",
        body: "Hi,\n\nI just checked my bank statement and I was charged $24.00 twice on the 3rd for my Northwind \
               subscription. I only have one subscription (Single Origin Explorer). Could you refund the duplicate?\n\n\
               Thanks,\nEmma",
        priority: Normal,
        category: Some("billing"),
        tags: &["subscription", "double-charge"],
        steps: &[
            Triage(25, MARCUS, Some(PRIYA)),
            Note(
                10,
                PRIYA,
                "Stripe shows two captures 4 seconds apart: the retry after the gateway timeout went through. \
                 Refunding the second one.",
            ),
            Reply(
                5,
                PRIYA,
                "Hi Emma,\n\nSorry about that! Our payment provider retried a charge that had already succeeded. \
                 I've refunded the duplicate $24.00; it should be back on your card within 5 to 10 business days.\n\n\
                 Priya",
            ),
            Reply(3 * HOUR, CUSTOMER, "Thank you, that was quick!"),
            Status(30, PRIYA, Solved),
            Status(4 * DAY, MARCUS, Closed),
        ],
    },
    Story {
        hours_ago: 320,
        opener: JAMES,
        subject: "Order NW-10482 still not delivered after 9 days",
        body: "My order NW-10482 was shipped 9 days ago and the tracking hasn't moved since last Tuesday. \
               It says 'in transit' at the Leeds hub. Can you find out what's going on?",
        priority: High,
        category: Some("shipping"),
        tags: &["delayed", "carrier"],
        steps: &[
            Triage(40, MARCUS, Some(HANNAH)),
            Reply(
                20,
                HANNAH,
                "Hi James,\n\nI'm sorry for the wait. The parcel has been stuck at the carrier's Leeds hub since \
                 Tuesday, so I've opened a trace with them. They usually answer within 48 hours; I'll get back to \
                 you as soon as I hear.\n\nHannah",
            ),
            Status(2, HANNAH, Pending),
            Reply(
                26 * HOUR,
                CUSTOMER,
                "Any news? I'm starting to worry the beans will be stale by the time they arrive.",
            ),
            Note(
                30,
                HANNAH,
                "Carrier confirmed the parcel is lost. Sending a replacement by express at no charge; Marcus OK'd it.",
            ),
            Reply(
                5,
                HANNAH,
                "Good news and bad news: the carrier has confirmed the parcel was lost, so I've sent a replacement \
                 by express. It should arrive Thursday, and it was roasted this morning, so no stale beans!\n\n\
                 New tracking number: NW-EX-55812.",
            ),
            Reply(2 * DAY, CUSTOMER, "Arrived this morning, thanks Hannah!"),
            Status(20, HANNAH, Solved),
        ],
    },
    Story {
        hours_ago: 310,
        opener: SOFIA,
        subject: "Password reset email never arrives",
        body: "I forgot my password and clicked 'Reset password' three times, but no email arrives. \
               I use sofia.rossi@example.net.",
        priority: Normal,
        category: Some("account"),
        tags: &["login", "password-reset"],
        steps: &[
            Triage(HOUR, TOMAS, Some(TOMAS)),
            Reply(
                10,
                TOMAS,
                "Hi Sofia,\n\nOur reset emails sometimes land in the Promotions or Spam folder. Could you check \
                 there? If it isn't there either, let me know and I'll look at our mail logs.",
            ),
            Status(1, TOMAS, Pending),
            Reply(3 * HOUR, CUSTOMER, "Found it in spam, sorry! All good now."),
            Status(15, TOMAS, Solved),
        ],
    },
    Story {
        hours_ago: 300,
        opener: LIAM,
        subject: "iOS app crashes when I open my order history",
        body: "Every time I tap 'Orders' in the app, it shows a spinner for a second and then closes. \
               I've reinstalled it twice already.",
        priority: High,
        category: Some("technical"),
        tags: &["app", "ios", "crash"],
        steps: &[
            Triage(35, MARCUS, Some(TOMAS)),
            Reply(
                25,
                TOMAS,
                "Thanks for the report, Liam. Which iOS version and app version are you on? You'll find the app \
                 version under Profile → About.",
            ),
            Reply(
                2 * HOUR,
                CUSTOMER,
                "iOS 17.4, app version 3.8.1. It happens every time, right after the spinner.",
            ),
            Note(
                20,
                TOMAS,
                "Reproduced on 3.8.1 with accounts that have a cancelled order in their history. Filed APP-2291 for \
                 the mobile team.",
            ),
            Reply(
                5,
                TOMAS,
                "I've reproduced it: the app crashes for accounts with a cancelled order in their history. Our \
                 mobile team has a fix in review, and I'll let you know when version 3.8.2 is out. Meanwhile, your \
                 order history works on the website.",
            ),
            Status(1, TOMAS, Pending),
            Reply(
                4 * DAY,
                TOMAS,
                "Version 3.8.2 is now in the App Store and fixes the crash. Could you update and confirm it works?",
            ),
            Reply(5 * HOUR, CUSTOMER, "Updated, works perfectly now. Thanks!"),
            Status(10, TOMAS, Solved),
        ],
    },
    Story {
        hours_ago: 290,
        opener: AISHA,
        subject: "Refund for returned grinder",
        body: "I returned the Burr Grinder Pro (order NW-10377) and the return was marked as received on the 2nd, \
               but I still haven't seen the $149 refund.",
        priority: Normal,
        category: Some("billing"),
        tags: &["refund", "returns"],
        steps: &[
            Triage(50, MARCUS, Some(PRIYA)),
            Note(
                15,
                PRIYA,
                "Return received, but the refund was waiting for the warehouse inspection. Inspection passed; \
                 refunds above $100 need Olivia's approval.",
            ),
            Note(40, OLIVIA, "Approved. Please add a 10% voucher for the wait, too."),
            Reply(
                10,
                PRIYA,
                "Hi Aisha,\n\nThank you for your patience. Your refund of $149.00 was issued today, and we've added \
                 a 10% voucher (THANKYOU10) to your account for the wait.\n\nPriya",
            ),
            Status(2, PRIYA, Solved),
        ],
    },
    Story {
        hours_ago: 280,
        opener: Opener::OnBehalf {
            by: HANNAH,
            name: "Ruth Patel",
            email: "ruth@brightbeans-cafe.example",
        },
        subject: "Wholesale pricing for a café (phone call)",
        body: "Ruth called from Bright Beans Café (2 locations, about 25 kg a month). She would like our wholesale \
               prices and a sample pack of the espresso blends.",
        priority: Normal,
        category: Some("other"),
        tags: &["wholesale", "phone"],
        steps: &[
            Triage(5, HANNAH, Some(HANNAH)),
            Note(30, HANNAH, "Forwarded to the sales team with the volume details."),
            Reply(
                15,
                HANNAH,
                "Hi Ruth,\n\nThanks for your call today! Our wholesale team will email you the price list for \
                 20 kg a month and more, and a sample pack of our three espresso blends is on its way.\n\nHannah",
            ),
            Status(1, HANNAH, Solved),
            Status(5 * DAY, MARCUS, Closed),
        ],
    },
    Story {
        hours_ago: 270,
        opener: NOAH,
        subject: "Feature request: dark mode for the website",
        body: "Love the coffee, but the website is very bright when I order late in the evening. \
               Any plans for a dark mode?",
        priority: Low,
        category: Some("technical"),
        tags: &["website", "feature-request"],
        steps: &[
            Triage(3 * HOUR, TOMAS, Some(TOMAS)),
            Reply(
                10,
                TOMAS,
                "Thanks for the suggestion, Noah! I've passed it on to our web team. No promise on dates, but dark \
                 mode is on this year's roadmap.",
            ),
            Status(1, TOMAS, Solved),
        ],
    },
    Story {
        hours_ago: 260,
        opener: CHLOE,
        subject: "Change delivery address for my next box",
        body: "I'm moving on the 20th. Could you send my next subscription box to 14 Harbour Street, \
               Bristol BS1 4RN instead?",
        priority: Normal,
        category: Some("shipping"),
        tags: &["address-change", "subscription"],
        steps: &[
            Triage(45, MARCUS, Some(HANNAH)),
            Reply(
                10,
                HANNAH,
                "Done! Your box shipping on the 22nd will go to 14 Harbour Street. Next time, you can also change \
                 it yourself under Account → Addresses. Good luck with the move!",
            ),
            Status(1, HANNAH, Solved),
        ],
    },
    Story {
        hours_ago: 250,
        opener: DANIEL,
        subject: "Need a VAT invoice for my company",
        body: "Hello, I bought the Aurora espresso machine for our studio. Can I get an invoice with our company \
               details and VAT number?",
        priority: Normal,
        category: Some("billing"),
        tags: &["invoice", "vat"],
        steps: &[
            Triage(30, PRIYA, Some(PRIYA)),
            Reply(
                20,
                PRIYA,
                "Hi Daniel, happy to help. Could you send the company name, address and VAT number to put on the \
                 invoice?",
            ),
            Status(1, PRIYA, Pending),
            Reply(
                5 * HOUR,
                CUSTOMER,
                "Novak Design Studio s.r.o., Karlova 12, 110 00 Prague, VAT number CZ12345678.",
            ),
            Reply(
                40,
                PRIYA,
                "Thanks! The invoice for order NW-10455 is now in your account under Orders → Invoices.",
            ),
            Status(1, PRIYA, Solved),
        ],
    },
    Story {
        hours_ago: 240,
        opener: GRACE,
        subject: "Someone changed my email address!",
        body: "I got an email saying the address on my account was changed to one I don't recognise, and now \
               I can't log in. I did NOT do this. Please lock my account!",
        priority: Urgent,
        category: Some("account"),
        tags: &["security", "account-access"],
        steps: &[
            Triage(8, MARCUS, Some(MARCUS)),
            Note(
                5,
                MARCUS,
                "Sign-in from an unknown IP abroad an hour before the change: looks like credential stuffing. \
                 Locked the account and restored the original email.",
            ),
            Reply(
                5,
                MARCUS,
                "Hi Grace,\n\nI've locked your account and restored your original email address, and sent a \
                 password reset link to it. Please choose a new password that you don't use anywhere else. No \
                 orders were placed in the meantime.\n\nMarcus",
            ),
            Reply(50, CUSTOMER, "Reset done, I'm back in. Thank you for acting so fast."),
            Reply(
                20,
                MARCUS,
                "Glad to hear it. We also recommend turning on two-step sign-in under Account → Security.",
            ),
            Status(1, MARCUS, Solved),
        ],
    },
    Story {
        hours_ago: 230,
        opener: MATEO,
        subject: "Discount code WELCOME15 not working at checkout",
        body: "I got WELCOME15 from your newsletter but the checkout says 'This code is not valid'.",
        priority: Normal,
        category: Some("technical"),
        tags: &["checkout", "discount-code"],
        steps: &[
            Triage(70, MARCUS, Some(TOMAS)),
            Reply(
                15,
                TOMAS,
                "Hi Mateo, WELCOME15 is valid on first orders only, and your account already has an order from \
                 last year. I've applied a one-time 15% discount to your cart instead.",
            ),
            Reply(2 * HOUR, CUSTOMER, "Oh, I forgot about that order. Thanks, it worked!"),
            Status(10, TOMAS, Solved),
        ],
    },
    Story {
        hours_ago: 220,
        opener: EMMA,
        subject: "Grinder makes a loud clicking noise",
        body: "Since this morning my Burr Grinder Pro makes a loud clicking noise and the grounds are uneven. \
               It's only four months old.",
        priority: Normal,
        category: Some("technical"),
        tags: &["grinder", "troubleshooting"],
        steps: &[
            Triage(HOUR, MARCUS, Some(TOMAS)),
            Reply(
                15,
                TOMAS,
                "Hi Emma,\n\nA clicking noise usually means a small stone or a very hard bean is stuck in the burrs. \
                 Could you unplug the grinder, remove the hopper and the top burr (turn it counter-clockwise) and \
                 have a look?",
            ),
            Status(1, TOMAS, Pending),
            Reply(DAY, CUSTOMER, "There was a tiny stone in there! It's quiet again."),
            Note(
                10,
                TOMAS,
                "Third stone report this month from bean lot A-2207 (Brazil Cerrado). Flagged to the roastery.",
            ),
            Reply(
                5,
                TOMAS,
                "Great news! Thanks for letting us know: we've asked our roastery to double-check the sorting of \
                 that lot.",
            ),
            Status(1, TOMAS, Solved),
        ],
    },
    Story {
        hours_ago: 210,
        opener: JAMES,
        subject: "How do I pause my subscription for a month?",
        body: "I'm travelling for most of next month. Can I skip a box without cancelling?",
        priority: Low,
        category: Some("billing"),
        tags: &["subscription", "pause"],
        steps: &[
            Triage(2 * HOUR, PRIYA, Some(PRIYA)),
            Reply(
                10,
                PRIYA,
                "Hi James, you can pause under Account → Subscription → Pause, for 1 to 3 months. I've paused it \
                 for you until the 1st of the following month so you don't miss this month's cut-off.",
            ),
            Status(1, PRIYA, Solved),
        ],
    },
    Story {
        hours_ago: 200,
        opener: Opener::OnBehalf {
            by: TOMAS,
            name: "Peter Hughes",
            email: "peter.hughes@example.net",
        },
        subject: "Espresso machine leaking water (reported by phone)",
        body: "Peter called: his Aurora espresso machine (bought 7 months ago, serial AU-88412) leaks water from \
               under the group head after each shot. Still under the 2-year warranty.",
        priority: High,
        category: Some("technical"),
        tags: &["espresso-machine", "warranty", "phone"],
        steps: &[
            Triage(5, MARCUS, Some(TOMAS)),
            Reply(
                20,
                TOMAS,
                "Hi Peter,\n\nFollowing up on your call: that leak is almost always the group head gasket. We can \
                 send you a free replacement gasket with a step-by-step guide, or you can send the machine to us \
                 for a repair under warranty. Which would you prefer?\n\nTomás",
            ),
            Status(1, TOMAS, Pending),
            Reply(
                3 * DAY,
                TOMAS,
                "Hi Peter, just checking in: would you like the gasket or the repair? Either is free of charge.",
            ),
        ],
    },
    Story {
        hours_ago: 190,
        opener: SOFIA,
        subject: "Bag of beans arrived torn",
        body: "My Ethiopia Yirgacheffe arrived today with the bag split open and beans all over the box.",
        priority: Normal,
        category: Some("shipping"),
        tags: &["damaged", "replacement"],
        steps: &[
            Triage(30, MARCUS, Some(HANNAH)),
            Reply(
                15,
                HANNAH,
                "So sorry, Sofia! Could you tell me whether the box was damaged too? We'll send a replacement \
                 either way.",
            ),
            Reply(
                HOUR,
                CUSTOMER,
                "Yes, the box was crushed on one corner and the bag split along the seam.",
            ),
            Reply(
                20,
                HANNAH,
                "Thanks! A replacement bag ships today, and there's no need to return anything. I've also reported \
                 the damage to the carrier.",
            ),
            Status(1, HANNAH, Solved),
        ],
    },
    Story {
        hours_ago: 180,
        opener: LIAM,
        subject: "Please send me a copy of all my data",
        body: "Under the GDPR I'd like a copy of all the personal data you hold about me.",
        priority: Normal,
        category: Some("account"),
        tags: &["gdpr", "data-request"],
        steps: &[
            Triage(2 * HOUR, MARCUS, Some(PRIYA)),
            Note(
                10,
                PRIYA,
                "GDPR access request: we have one month. Export requested from engineering (DATA-104).",
            ),
            Reply(
                5,
                PRIYA,
                "Hi Liam, we've received your data access request. You'll get a download link by email within \
                 30 days, usually much sooner.",
            ),
        ],
    },
    Story {
        hours_ago: 170,
        opener: AISHA,
        subject: "Which beans for a French press?",
        body: "I just got a French press. Which of your coffees would you recommend, and how coarse should I grind?",
        priority: Low,
        category: Some("other"),
        tags: &["brewing-advice"],
        steps: &[
            Triage(4 * HOUR, HANNAH, Some(HANNAH)),
            Reply(
                10,
                HANNAH,
                "Great question! For a French press we love the Colombia Huila: chocolatey, with low acidity. \
                 Grind it coarse, like sea salt, and start with 30 g of coffee for 500 ml of water and a 4-minute \
                 steep.",
            ),
            Reply(6 * HOUR, CUSTOMER, "Ordered a bag, thanks for the tips!"),
            Status(5, HANNAH, Solved),
        ],
    },
    Story {
        hours_ago: 160,
        opener: NOAH,
        subject: "Card declined but my bank says everything is fine",
        body: "My subscription payment failed with 'card declined', but my bank says they didn't block anything. \
               I don't want to miss this month's box.",
        priority: High,
        category: Some("billing"),
        tags: &["payment-failed", "subscription"],
        steps: &[
            Triage(40, MARCUS, Some(PRIYA)),
            Reply(
                15,
                PRIYA,
                "Hi Noah, the decline came from your bank's 3-D Secure check, which sometimes blocks recurring \
                 payments. Could you update the card under Account → Payment and complete the verification your \
                 bank asks for?",
            ),
            Status(1, PRIYA, Pending),
            Reply(
                DAY,
                CUSTOMER,
                "Tried again, same error: 'Your card was declined (code 05)'.",
            ),
            Note(
                20,
                PRIYA,
                "Code 05 is 'do not honour', on the bank's side. Asking Marcus to check whether the processor is at \
                 fault.",
            ),
            Note(
                30,
                MARCUS,
                "Stripe shows three other declines from the same bank today. Opened a case with Stripe.",
            ),
            Reply(
                10,
                PRIYA,
                "Thanks, Noah. This looks like a problem between your bank and our payment processor, not your \
                 card: a few customers of the same bank have the same error. We've escalated it and kept your \
                 subscription active, so your next box ships as planned.",
            ),
        ],
    },
    Story {
        hours_ago: 150,
        opener: CHLOE,
        subject: "Not getting shipping notifications in the app",
        body: "I used to get a notification when my box shipped, but I haven't had one for the last two orders.",
        priority: Normal,
        category: Some("technical"),
        tags: &["app", "notifications"],
        steps: &[
            Triage(3 * HOUR, MARCUS, Some(TOMAS)),
            Reply(
                15,
                TOMAS,
                "Hi Chloe, please check two things: your phone's Settings → Notifications → Northwind, and in the \
                 app, Profile → Notifications → 'Shipping updates'. If both are on, try signing out and back in, \
                 and let me know if the next shipment notifies you.",
            ),
            Status(1, TOMAS, Pending),
        ],
    },
    Story {
        hours_ago: 140,
        opener: DANIEL,
        subject: "Customs fees on an order to Prague?",
        body: "Will I have to pay customs or import VAT when my order is delivered in the Czech Republic?",
        priority: Normal,
        category: Some("shipping"),
        tags: &["international", "customs"],
        steps: &[
            Triage(90, MARCUS, Some(HANNAH)),
            Reply(
                15,
                HANNAH,
                "Hi Daniel, orders to the EU ship from our Rotterdam warehouse, so there are no customs fees: the \
                 VAT is included in the price at checkout.",
            ),
            Status(1, HANNAH, Solved),
            Reply(
                2 * DAY,
                CUSTOMER,
                "Just to be sure: does that apply to the espresso machine too? It ships separately.",
            ),
            Reply(
                30,
                HANNAH,
                "Yes, the Aurora machine also ships from Rotterdam. No customs, no surprises.",
            ),
            Status(1, HANNAH, Solved),
        ],
    },
    Story {
        hours_ago: 130,
        opener: GRACE,
        subject: "Gift card balance not showing",
        body: "My sister gave me a $50 Northwind gift card but I can't see the balance anywhere in my account.",
        priority: Normal,
        category: Some("billing"),
        tags: &["gift-card"],
        steps: &[
            Triage(2 * HOUR, PRIYA, Some(PRIYA)),
            Reply(
                20,
                PRIYA,
                "Hi Grace, gift cards need to be added once under Account → Gift cards. I've added your card \
                 ending 4471 for you, and the $50 balance shows there now.",
            ),
            Reply(3 * HOUR, CUSTOMER, "I see it, thanks!"),
            Status(10, PRIYA, Solved),
        ],
    },
    Story {
        hours_ago: 120,
        opener: MATEO,
        subject: "Stop marketing emails but keep order emails",
        body: "I get too many promotional emails. Can I stop those but still get order and shipping emails?",
        priority: Low,
        category: Some("account"),
        tags: &["newsletter", "email-preferences"],
        steps: &[
            Triage(5 * HOUR, PRIYA, Some(PRIYA)),
            Reply(
                10,
                PRIYA,
                "Done, Mateo: you're off the newsletter and promotions, and you'll still get order confirmations \
                 and shipping updates.",
            ),
            Status(1, PRIYA, Solved),
        ],
    },
    Story {
        hours_ago: 100,
        opener: EMMA,
        subject: "Can my box arrive on Saturdays?",
        body: "I'm never home on weekdays. Is Saturday delivery possible for my subscription?",
        priority: Normal,
        category: Some("shipping"),
        tags: &["subscription", "delivery-day"],
        steps: &[
            Triage(2 * HOUR, MARCUS, Some(HANNAH)),
            Reply(
                20,
                HANNAH,
                "Hi Emma, Saturday delivery is available at your address for a $3 supplement per box. Would you \
                 like me to switch your subscription to Saturdays?",
            ),
            Status(1, HANNAH, Pending),
        ],
    },
    Story {
        hours_ago: 96,
        opener: Opener::OnBehalf {
            by: MARCUS,
            name: "Karen Doyle",
            email: "karen.doyle@example.org",
        },
        subject: "Chargeback dispute on order NW-10561",
        body: "Karen's bank opened a chargeback for order NW-10561 ($289, Aurora espresso machine). She says she \
               never received it; the tracking shows it delivered and signed for. She called in upset and wants it \
               sorted before the bank decides.",
        priority: Urgent,
        category: Some("billing"),
        tags: &["chargeback", "escalation", "phone"],
        steps: &[
            Triage(5, MARCUS, Some(MARCUS)),
            Note(
                20,
                MARCUS,
                "Asked the carrier for the proof of delivery with signature and GPS. Dispute deadline: Friday.",
            ),
            Reply(
                15,
                MARCUS,
                "Hi Karen,\n\nThank you for calling. We've asked the carrier for the signed proof of delivery and \
                 the drop-off location. We'll share it with you as soon as we have it, and if the parcel really \
                 went missing, we'll send a replacement.\n\nMarcus",
            ),
        ],
    },
    Story {
        hours_ago: 80,
        opener: JAMES,
        subject: "Product page says 'out of stock' but I can add it to my cart",
        body: "The Kenya AA page says out of stock, yet the 'Add to cart' button works and checkout goes through. \
               Will my order actually ship?",
        priority: Normal,
        category: Some("technical"),
        tags: &["website", "bug"],
        steps: &[
            Triage(3 * HOUR, MARCUS, None),
            Note(
                20,
                TOMAS,
                "The stock cache is out of sync for the Kenya AA page. Asked the web team to purge it; root cause \
                 in WEB-331.",
            ),
            Reply(
                10,
                TOMAS,
                "Thanks James, good catch! The page showed an old stock value: the Kenya AA is in stock and your \
                 order will ship normally.",
            ),
        ],
    },
    Story {
        hours_ago: 72,
        opener: AISHA,
        subject: "Lost my phone, can't pass two-step sign-in",
        body: "My phone was stolen and I can't receive the sign-in code anymore. How do I get into my account?",
        priority: High,
        category: Some("account"),
        tags: &["login", "2fa"],
        steps: &[
            Triage(25, MARCUS, Some(PRIYA)),
            Reply(
                10,
                PRIYA,
                "Hi Aisha, sorry to hear that. For your security, please reply with the last 4 digits of the card \
                 on your account and the date of your last order. Then I can turn off two-step sign-in so you can \
                 set it up on your new phone.",
            ),
            Status(1, PRIYA, Pending),
            Reply(
                2 * HOUR,
                CUSTOMER,
                "The card ends in 7720 and my last order was on the 28th of last month.",
            ),
        ],
    },
    Story {
        hours_ago: 60,
        opener: LIAM,
        subject: "Upgrade to the 1 kg plan mid-month?",
        body: "We drink more coffee than I thought. Can I switch to the 1 kg plan now, or do I have to wait for \
               the next billing date?",
        priority: Normal,
        category: Some("billing"),
        tags: &["subscription", "upgrade"],
        steps: &[
            Triage(2 * HOUR, PRIYA, Some(PRIYA)),
            Reply(
                15,
                PRIYA,
                "Hi Liam, you can! If you upgrade now, we'll charge the difference pro rata ($11.40), and your next \
                 box will be the 1 kg size. Shall I do it for you?",
            ),
            Status(1, PRIYA, Pending),
        ],
    },
    Story {
        hours_ago: 50,
        opener: NOAH,
        subject: "Checkout shows '502 Bad Gateway'",
        body: "I've been trying to pay for my order for 20 minutes. Every time I click 'Pay now' I get \
               '502 Bad Gateway'. Is the site down?",
        priority: Urgent,
        category: Some("technical"),
        tags: &["checkout", "outage"],
        steps: &[
            Triage(6, MARCUS, Some(TOMAS)),
            Note(
                4,
                TOMAS,
                "Payment service down since 14:05 according to the status page. Linked to incident INC-77.",
            ),
            Reply(
                6,
                TOMAS,
                "Hi Noah, you're right: our payment service had an outage this afternoon. It's been back for a few \
                 minutes now, and your cart is saved, so you can complete the order. Sorry for the trouble!",
            ),
            Reply(30, CUSTOMER, "Just went through. Thanks."),
            Status(10, TOMAS, Solved),
        ],
    },
    Story {
        hours_ago: 40,
        opener: CHLOE,
        subject: "Refund for a box I didn't want",
        body: "I cancelled my subscription on the 10th but was still charged on the 12th for a new box. I'd like a \
               refund; I can send the box back.",
        priority: Normal,
        category: Some("billing"),
        tags: &["refund", "subscription", "cancellation"],
        steps: &[
            Triage(3 * HOUR, MARCUS, Some(PRIYA)),
            Note(
                15,
                PRIYA,
                "The cancellation came after the monthly cut-off (the 8th), so the charge follows our terms. \
                 Offering a 50% goodwill refund without a return.",
            ),
            Reply(
                10,
                PRIYA,
                "Hi Chloe, your cancellation arrived after this month's cut-off, so that box was already roasted and \
                 packed. As a goodwill gesture we can refund 50% ($12), and you keep the coffee. Would that work for \
                 you?",
            ),
            Status(1, PRIYA, Pending),
            Reply(
                4 * HOUR,
                CUSTOMER,
                "I'd really prefer a full refund. I can't drink all that coffee and I did cancel before it shipped.",
            ),
        ],
    },
    Story {
        hours_ago: 30,
        opener: Opener::OnBehalf {
            by: HANNAH,
            name: "Oliver Brandt",
            email: "oliver.brandt@example.net",
        },
        subject: "Received decaf instead of the espresso blend (phone)",
        body: "Oliver called: order NW-10598 contained a bag of Swiss Water Decaf instead of the Espresso No. 5 \
               he ordered.",
        priority: High,
        category: Some("shipping"),
        tags: &["wrong-item", "phone"],
        steps: &[
            Triage(5, HANNAH, Some(HANNAH)),
            Reply(
                15,
                HANNAH,
                "Hi Oliver,\n\nThanks for calling. The Espresso No. 5 you ordered left today by express; please keep \
                 the decaf with our apologies.\n\nHannah",
            ),
            Status(1, HANNAH, Solved),
        ],
    },
    Story {
        hours_ago: 20,
        opener: DANIEL,
        subject: "Android app: can't sign in with Google",
        body: "Since yesterday's update, 'Sign in with Google' in the Android app just closes the window and nothing \
               happens.",
        priority: Normal,
        category: None,
        tags: &[],
        steps: &[Note(
            2 * HOUR,
            TOMAS,
            "Several reports of Google sign-in failing on Android since yesterday's release. Checking with the \
             mobile team before we answer.",
        )],
    },
    Story {
        hours_ago: 10,
        opener: GRACE,
        subject: "Question about my last invoice",
        body: "The invoice for my last order shows $31.50, but the order confirmation said $28.50. Where does the \
               $3 difference come from?",
        priority: Normal,
        category: None,
        tags: &[],
        steps: &[],
    },
    Story {
        hours_ago: 6,
        opener: MATEO,
        subject: "Where is my order NW-10612?",
        body: "It was supposed to arrive yesterday and the tracking link shows 'label created' only. \
               It's a birthday present!",
        priority: High,
        category: Some("shipping"),
        tags: &["delayed"],
        steps: &[Triage(40, MARCUS, Some(HANNAH))],
    },
    Story {
        hours_ago: 4,
        opener: SOFIA,
        subject: "How do I change the name on my account?",
        body: "I got married and would like to update my surname on my account and on the delivery labels.",
        priority: Low,
        category: Some("account"),
        tags: &["profile"],
        steps: &[Triage(30, PRIYA, None)],
    },
    Story {
        hours_ago: 2,
        opener: JAMES,
        subject: "Subscription page keeps loading forever",
        body: "When I open Account → Subscription the spinner never stops. Tried Chrome and Firefox.",
        priority: Normal,
        category: None,
        tags: &[],
        steps: &[],
    },
    Story {
        hours_ago: 1,
        opener: EMMA,
        subject: "Do you offer corporate gifting?",
        body: "We'd like to send a bag of coffee to about 40 clients for the holidays, each with a card. \
               Is that something you do?",
        priority: Normal,
        category: None,
        tags: &[],
        steps: &[],
    },
];
