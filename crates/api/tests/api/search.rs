//! Full-text search in the inbox (`GET /tickets?q=`): ranked, the last word a prefix, every word
//! found across the subject and the messages the caller may see (notes for staff only), within the
//! caller's workspace; paged without repeats or gaps; whatever is typed is words, never syntax.

use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::TicketId;
use ferrodesk_shared::tickets::{MergeResult, TicketDetail, TicketPage};
use reqwest::StatusCode;
use serde_json::json;

use ferrodesk::config::BucketSize;

use crate::helpers::{Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app, spawn_app_with};

fn ids(page: &TicketPage) -> Vec<TicketId> {
    page.items.iter().map(|ticket| ticket.id).collect()
}

async fn search(app: &TestApp, who: &Session, words: &str) -> TicketPage {
    let query = serde_urlencoded_q(words);
    app.tickets_as(who, &format!("?q={query}&limit=100")).await
}

/// `words` as a query string value.
fn serde_urlencoded_q(words: &str) -> String {
    reqwest::Url::parse_with_params("http://x/", [("q", words)])
        .unwrap()
        .query()
        .unwrap()
        .trim_start_matches("q=")
        .to_owned()
}

/// The list refuses `path` with 422 `validation_failed`.
async fn refused(app: &TestApp, who: &Session, path: &str) {
    expect_error(
        app.get(path, &who.token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
}

/// A ticket staff open for the first customer (customers' own creations are rate-limited).
async fn open_for_customer(app: &TestApp, staff: &Session, subject: &str, body: &str) -> TicketId {
    let request = json!({"subject": subject, "body": body, "requester_email": "customer0@mail.example"});
    let created: TicketDetail = expect_json(
        app.post("/api/v1/tickets", Some(&staff.token), &request).await,
        StatusCode::CREATED,
    )
    .await;
    created.ticket.id
}

#[tokio::test]
async fn the_best_match_comes_first_and_the_last_word_is_a_prefix() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let customer = acme.customer();
    // Created first, so the newest-first tie-break alone would put it last.
    let in_subject = app
        .create_ticket(customer, "Refund request", "Please refund my refund.")
        .await;
    let in_body = app
        .create_ticket(
            customer,
            "Question about my account",
            "I changed plans last month, and I wonder whether a refund applies to the days left over.",
        )
        .await;
    let unrelated = app
        .create_ticket(customer, "Password reset", "The reset mail never arrives.")
        .await;

    let found = search(&app, acme.agent(), "refund").await;
    assert_eq!(ids(&found), [in_subject.ticket.id, in_body.ticket.id]);
    assert_eq!(found.total, Some(2));

    // Typing: the last word is a prefix, the earlier ones are whole words.
    let typing = search(&app, acme.agent(), "REFU").await;
    assert_eq!(ids(&typing), [in_subject.ticket.id, in_body.ticket.id]);
    assert_eq!(
        ids(&search(&app, acme.agent(), "refund requ").await),
        [in_subject.ticket.id]
    );
    assert!(search(&app, acme.agent(), "refu request").await.items.is_empty());
    assert_eq!(
        ids(&search(&app, acme.agent(), "mail never").await),
        [unrelated.ticket.id]
    );

    // An order asked for is kept: the search only filters.
    let newest_first = app.tickets_as(acme.agent(), "?q=refund&sort=created").await;
    assert_eq!(ids(&newest_first), [in_body.ticket.id, in_subject.ticket.id]);
}

#[tokio::test]
async fn every_word_counts_across_the_subject_and_the_thread() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let ticket = app
        .create_ticket(acme.customer(), "Printer jammed", "Since Tuesday.")
        .await;
    app.reply(acme.agent(), ticket.ticket.id, "We sent new toner cartridges.", false)
        .await;
    app.create_ticket(acme.customer(), "Printer offline", "It says offline.")
        .await;

    let found = search(&app, acme.agent(), "printer tuesday toner").await;
    assert_eq!(ids(&found), [ticket.ticket.id]);
    assert_eq!(
        ids(&search(&app, acme.customer(), "toner printer").await),
        [ticket.ticket.id]
    );
    assert!(
        search(&app, acme.agent(), "printer toner wednesday")
            .await
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn internal_notes_are_searched_by_staff_only() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let ticket = app
        .create_ticket(acme.customer(), "Delivery late", "Order 4711 has not arrived.")
        .await;
    app.reply(acme.agent(), ticket.ticket.id, "Courier blames the warehouse.", true)
        .await;

    assert_eq!(ids(&search(&app, acme.agent(), "warehouse").await), [ticket.ticket.id]);
    assert_eq!(
        ids(&search(&app, &acme.supervisor, "delivery warehouse").await),
        [ticket.ticket.id]
    );
    // The customer's own ticket, but the word is only in a note: not even combined with their words.
    for words in ["warehouse", "wareh", "delivery warehouse", "courier blames"] {
        let page = search(&app, acme.customer(), words).await;
        assert!(page.items.is_empty(), "{words}");
        assert_eq!(page.total, Some(0));
    }
    assert_eq!(
        ids(&search(&app, acme.customer(), "delivery").await),
        [ticket.ticket.id]
    );

    // A public answer with the word makes it findable, by that message.
    app.reply(acme.agent(), ticket.ticket.id, "It left the warehouse today.", false)
        .await;
    assert_eq!(
        ids(&search(&app, acme.customer(), "warehouse").await),
        [ticket.ticket.id]
    );
    // Staff find every message's words together: before the note, the note, after it.
    assert_eq!(
        ids(&search(&app, acme.agent(), "4711 courier today").await),
        [ticket.ticket.id]
    );

    // A ticket without a note: staff find its answers' words too.
    let plain = app
        .create_ticket(acme.customer(), "Invoice copy", "Please send invoice 815 again.")
        .await;
    app.reply(acme.agent(), plain.ticket.id, "Sent to your billing address.", false)
        .await;
    assert_eq!(ids(&search(&app, acme.agent(), "815 billing").await), [plain.ticket.id]);
    assert_eq!(
        ids(&search(&app, acme.customer(), "815 billing").await),
        [plain.ticket.id]
    );

    // PostgreSQL keeps a staff document only for the ticket with a note (the other's is the
    // customers' one, not stored twice).
    if let Some(kept) = staff_documents_kept(&app, [ticket.ticket.id, plain.ticket.id]).await {
        assert_eq!(kept, [true, false]);
    }
}

/// PostgreSQL: whether each ticket has a staff search document of its own (`None` on SQLite).
async fn staff_documents_kept(app: &TestApp, tickets: [TicketId; 2]) -> Option<[bool; 2]> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = &app.state.db;
    if db.get_database_backend() != DbBackend::Postgres {
        return None;
    }
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT ticket_id, staff IS NOT NULL AS kept FROM ticket_search WHERE ticket_id IN ($1, $2)",
            [tickets[0].0.into(), tickets[1].0.into()],
        ))
        .await
        .unwrap();
    let kept = |ticket: TicketId| {
        rows.iter()
            .find(|row| row.try_get::<uuid::Uuid>("", "ticket_id").unwrap() == ticket.0)
            .map(|row| row.try_get::<bool>("", "kept").unwrap())
            .expect("every ticket has its search documents")
    };
    Some(tickets.map(kept))
}

#[tokio::test]
async fn customers_find_only_the_tickets_they_may_see() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let mine = app
        .create_ticket(&acme.customers[0], "Parcel lost", "No parcel yet.")
        .await;
    let theirs = app
        .create_ticket(&acme.customers[1], "Parcel broken", "The parcel was crushed.")
        .await;

    assert_eq!(ids(&search(&app, &acme.customers[0], "parcel").await), [mine.ticket.id]);
    assert_eq!(ids(&search(&app, &acme.customers[1], "parc").await), [theirs.ticket.id]);
    assert!(search(&app, &acme.customers[0], "crushed").await.items.is_empty());
    assert_eq!(search(&app, acme.agent(), "parcel").await.total, Some(2));
}

#[tokio::test]
async fn another_workspaces_words_find_nothing() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let secret = app
        .create_ticket(acme.customer(), "Quasar contract", "The quasar deal closes Friday.")
        .await;
    app.reply(acme.agent(), secret.ticket.id, "Nebula pricing attached.", true)
        .await;
    let own = app
        .create_ticket(globex.customer(), "Contract question", "About our contract.")
        .await;

    for words in ["quasar", "quas", "nebula", "contract quasar"] {
        for who in [globex.agent(), &globex.owner, globex.customer()] {
            let page = search(&app, who, words).await;
            assert!(page.items.is_empty(), "{words}");
            assert_eq!(page.total, Some(0));
        }
    }
    assert_eq!(ids(&search(&app, globex.agent(), "contract").await), [own.ticket.id]);
    assert_eq!(ids(&search(&app, acme.agent(), "contract").await), [secret.ticket.id]);
}

#[tokio::test]
async fn merged_messages_are_found_on_the_ticket_they_moved_to() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let customer = acme.customer();
    let into = app.create_ticket(customer, "Order 7 late", "Where is order 7?").await;
    let from = app
        .create_ticket(customer, "Shipment again", "Still waiting for the gizmo.")
        .await;
    app.reply(acme.agent(), from.ticket.id, "Courier says Friday.", false)
        .await;
    app.reply(acme.agent(), from.ticket.id, "Escalated to logistics.", true)
        .await;
    assert_eq!(ids(&search(&app, acme.agent(), "gizmo").await), [from.ticket.id]);

    let merged: MergeResult = expect_json(
        app.post(
            &format!("/api/v1/tickets/{}/merge", from.ticket.id),
            Some(&acme.agent().token),
            &json!({"into": into.ticket.id, "notify_customer": false}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(merged.moved_messages, 3);

    // The moved words are the target's now, with its own: all words across both threads.
    assert_eq!(ids(&search(&app, acme.agent(), "gizmo").await), [into.ticket.id]);
    assert_eq!(
        ids(&search(&app, acme.agent(), "order courier").await),
        [into.ticket.id]
    );
    assert_eq!(ids(&search(&app, customer, "order friday").await), [into.ticket.id]);
    // The moved note is still the staff's alone; the merged ticket keeps only its subject.
    assert_eq!(ids(&search(&app, acme.agent(), "logistics").await), [into.ticket.id]);
    assert!(search(&app, customer, "logistics").await.items.is_empty());
    // (The target's merge note names the merged ticket's subject, so both have "shipment".)
    assert!(ids(&search(&app, acme.agent(), "shipment").await).contains(&from.ticket.id));
}

#[tokio::test]
async fn ranked_pages_never_repeat_or_skip_a_ticket() {
    // Walking every page at three sizes is more requests than a burst allows.
    let app = spawn_app_with(|settings| {
        let plenty = BucketSize {
            per_minute: 60_000,
            burst: 10_000,
        };
        settings.api_rate_limits.caller = plenty;
        settings.api_rate_limits.workspace = plenty;
    })
    .await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let mut created = Vec::new();
    // Some in the subject, some once or several times in the body, some with equal ranks.
    for index in 0..13 {
        let subject = if index % 3 == 0 {
            format!("Invoice problem {index}")
        } else {
            format!("Question {index}")
        };
        let body = "invoice ".repeat(index % 4 + 1) + "and some other words to read";
        created.push(open_for_customer(&app, acme.agent(), &subject, &body).await);
    }
    open_for_customer(&app, acme.agent(), "Unrelated", "Nothing to see.").await;

    let whole = search(&app, acme.agent(), "invoice").await;
    assert_eq!(whole.items.len(), 13);
    assert!(whole.next_cursor.is_none());
    let subject_hits = ids(&whole)[..5].to_vec();
    for id in &subject_hits {
        let index = created.iter().position(|created| created == id).unwrap();
        assert_eq!(
            index % 3,
            0,
            "the five tickets with the word in their subject come first"
        );
    }

    for limit in [1, 4, 5] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let query = match &cursor {
                Some(cursor) => format!("?q=invoice&limit={limit}&cursor={cursor}"),
                None => format!("?q=invoice&limit={limit}"),
            };
            let page = app.tickets_as(acme.agent(), &query).await;
            assert!(page.items.len() <= limit);
            seen.extend(ids(&page));
            pages += 1;
            assert!(pages <= 13, "pages of {limit} never end");
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, ids(&whole), "pages of {limit} walk the same order");
        assert_eq!(pages, 13_usize.div_ceil(limit));
    }

    // A ranked page's cursor belongs to that order.
    let first = app.tickets_as(acme.agent(), "?q=invoice&limit=2").await;
    let cursor = first.next_cursor.unwrap();
    refused(
        &app,
        acme.agent(),
        &format!("/api/v1/tickets?q=invoice&sort=created&cursor={cursor}"),
    )
    .await;
    let plain = app.tickets_as(acme.agent(), "?limit=2").await.next_cursor.unwrap();
    refused(&app, acme.agent(), &format!("/api/v1/tickets?q=invoice&cursor={plain}")).await;
}

#[tokio::test]
async fn typed_operators_and_punctuation_are_never_syntax() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let refund = app
        .create_ticket(
            acme.customer(),
            "Refund NEAR the deadline",
            "Order-12 \"urgent\" (please)",
        )
        .await;
    app.create_ticket(acme.customer(), "Other", "Nothing to see.").await;

    let hostile = [
        "\"",
        "\"refund",
        "refund\"",
        "*",
        "refund*",
        "ref*und",
        ":",
        "subject:refund",
        "{subject public}: refund",
        "&",
        "refund & deadline",
        "|",
        "refund | other",
        "!",
        "!refund",
        "(",
        "(refund",
        ")",
        "NEAR",
        "NEAR(refund deadline)",
        "refund NEAR deadline",
        "-",
        "-refund",
        "refund -deadline",
        "'",
        "'refund'",
        "''",
        "refund' OR '1'='1",
        "'; DROP TABLE tickets; --",
        "\\",
        "%",
        "_",
        "%_%",
        "^refund",
        "refund:*",
        "AND",
        "OR NOT",
        "<->",
        "refund <-> deadline",
        "$1",
        "?",
        "order-12",
        "\"urgent\"",
        "\u{0}",
    ];
    for words in hostile {
        let response = app
            .get(
                &format!("/api/v1/tickets?q={}", serde_urlencoded_q(words)),
                &acme.agent().token,
            )
            .await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            status == StatusCode::OK || (status.is_client_error() && text.contains("\"code\"")),
            "{words:?}: {status} {text}"
        );
        if status == StatusCode::OK {
            let page: TicketPage = serde_json::from_str(&text).unwrap();
            // Whatever matched did so by its words: the refund ticket, or nothing.
            assert!(
                page.items.iter().all(|ticket| ticket.id == refund.ticket.id),
                "{words:?}: {text}"
            );
        }
    }
    // The words in them still search.
    for words in [
        "refund*",
        "\"refund",
        "refund & deadline",
        "NEAR(refund deadline)",
        "order-12",
        "'refund'",
    ] {
        assert_eq!(
            ids(&search(&app, acme.agent(), words).await),
            [refund.ticket.id],
            "{words}"
        );
    }
    // Only punctuation: no word, nothing found, counted as nothing.
    for words in ["*", "\"", "%_%", "&|!()"] {
        let page = search(&app, acme.agent(), words).await;
        assert!(page.items.is_empty(), "{words}");
        assert_eq!(page.total, Some(0));
    }
    // The tickets are all still there.
    assert_eq!(app.tickets_as(acme.agent(), "").await.items.len(), 2);
    // Too long a search is the caller's mistake, said with a code.
    refused(
        &app,
        acme.agent(),
        &format!("/api/v1/tickets?q={}", "word%20".repeat(17)),
    )
    .await;
}

#[tokio::test]
async fn relevance_ranks_the_newest_matches_and_a_sort_by_date_lists_them_all() {
    // Three ranked: the point is which three, not how a thousand tickets are made.
    let app = spawn_app_with(|settings| settings.search_ranked_matches = 3).await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    // The oldest would rank first: its subject has the word.
    let oldest = open_for_customer(&app, acme.agent(), "Parcel missing", "Where is my parcel?").await;
    let mut newer = Vec::new();
    for index in 0..4 {
        let body = format!("Question {index} about a parcel and other things");
        newer.push(open_for_customer(&app, acme.agent(), &format!("Question {index}"), &body).await);
    }
    open_for_customer(&app, acme.agent(), "Unrelated", "Nothing to see.").await;

    let ranked = search(&app, acme.agent(), "parcel").await;
    let mut listed = ids(&ranked);
    listed.sort();
    let mut newest = newer[1..].to_vec();
    newest.sort();
    assert_eq!(listed, newest, "the three newest matches, not the best older one");
    assert!(ranked.next_cursor.is_none());
    assert_eq!(ranked.total, Some(3), "the count is what the pages list");

    let by_date = app.tickets_as(acme.agent(), "?q=parcel&sort=created&limit=100").await;
    let expected: Vec<TicketId> = newer.iter().rev().copied().chain([oldest]).collect();
    assert_eq!(ids(&by_date), expected, "sorted by date: every match");

    // Customers' searches are bounded the same way, over what they may see.
    let theirs = search(&app, acme.customer(), "parcel").await;
    assert_eq!(theirs.items.len(), 3);
    assert!(!ids(&theirs).contains(&oldest));
}

/// The scale seeder writes its tickets' search documents itself, with the search triggers off for
/// its own transactions (on PostgreSQL): the documents are the ones the triggers would have made,
/// one per ticket, the triggers are on again for the tickets made after it, and the search
/// indexes' pending lists (widened for the load) are as short as before.
#[tokio::test]
async fn seeded_tickets_have_the_documents_the_triggers_make() {
    use ferrodesk_dev::scale::{ScaleOptions, seed};
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    let app = spawn_app().await;
    let db = &app.state.db;
    let options = ScaleOptions {
        tickets: 300,
        slug: "seeded".to_owned(),
        messages: true,
        ..ScaleOptions::default()
    };
    let report = seed(db, &options, chrono::Utc::now(), &mut |_, _| {}).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        // Recomputed as `ticket_search_refresh` does; counted where both columns are equal (no
        // staff document without an internal note).
        DbBackend::Postgres => {
            "SELECT count(*) AS n FROM ticket_search s JOIN (\
               SELECT t.id, setweight(ticket_search_vector(t.subject), 'A') \
                 || ticket_search_vector(coalesce(string_agg(m.body, ' ') FILTER (WHERE NOT m.internal), '')) AS public, \
               CASE WHEN bool_or(m.internal) THEN setweight(ticket_search_vector(t.subject), 'A') \
                 || ticket_search_vector(coalesce(string_agg(m.body, ' '), '')) END AS staff \
               FROM tickets t LEFT JOIN messages m ON m.ticket_id = t.id WHERE t.workspace_id = $1 \
               GROUP BY t.id, t.subject) r ON r.id = s.ticket_id \
             WHERE s.public = r.public AND s.staff IS NOT DISTINCT FROM r.staff"
        }
        _ => {
            "SELECT count(*) AS n FROM ticket_search_docs d JOIN tickets t ON t.id = d.ticket_id \
             WHERE t.workspace_id = ?"
        }
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [report.workspace_id.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 300);

    if backend == DbBackend::Postgres {
        // The seeder widened the indexes' pending lists for its load: they are short again, as the
        // migration set them, and nothing is left pending for the first search to read.
        let lists = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT c.relname AS name, array_to_string(c.reloptions, ',') AS options \
                 FROM pg_class c WHERE c.relname IN ('ix_ticket_search_public', 'ix_ticket_search_staff') \
                 ORDER BY c.relname",
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|row| {
                (
                    row.try_get::<String>("", "name").unwrap(),
                    row.try_get::<String>("", "options").unwrap(),
                )
            })
            .collect::<Vec<_>>();
        assert_eq!(
            lists,
            [
                (
                    "ix_ticket_search_public".to_owned(),
                    "gin_pending_list_limit=256".to_owned()
                ),
                (
                    "ix_ticket_search_staff".to_owned(),
                    "gin_pending_list_limit=256".to_owned()
                ),
            ]
        );
    }

    // Tickets made afterwards are found: the triggers are on again.
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let id = open_for_customer(&app, acme.agent(), "Zebra printer jammed", "It clicks twice").await;
    assert_eq!(ids(&search(&app, acme.agent(), "zebra clicks").await), vec![id]);
}

/// Where the workspace has more tickets than the window (30 documents per ranked match), the
/// newest matches are looked for among its newest documents first (PostgreSQL); the answer is the
/// same as over every ticket, and a word found only before the window is still found and counted.
#[tokio::test]
async fn the_newest_matches_are_the_same_found_through_a_window() {
    // Two ranked: a window of 60 documents.
    let app = spawn_app_with(|settings| settings.search_ranked_matches = 2).await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let agent = acme.agent();
    let oldest = open_for_customer(&app, agent, "Parcel parcel", "My stapler parcel never came.").await;
    let early = open_for_customer(&app, agent, "Question", "A parcel question").await;
    let mut toner = Vec::new();
    for _ in 0..3 {
        toner.push(open_for_customer(&app, agent, "Toner", "The toner is empty.").await);
    }
    for index in 0..100 {
        open_for_customer(&app, agent, &format!("Printer {index}"), "The printer jams.").await;
    }
    let middle = open_for_customer(&app, agent, "Question", "Another parcel question").await;
    let newest = open_for_customer(&app, agent, "Question", "Where is the parcel?").await;

    let mut ranked = ids(&search(&app, agent, "parcel").await);
    ranked.sort();
    let mut expected = vec![middle, newest];
    expected.sort();
    assert_eq!(ranked, expected, "the two newest matches, not the best older ones");
    // Paged one by one through the window: each of them once, then no cursor.
    let first = app.tickets_as(agent, "?q=parcel&limit=1").await;
    let cursor = first.next_cursor.clone().expect("a second page");
    let second = app
        .tickets_as(agent, &format!("?q=parcel&limit=1&cursor={cursor}"))
        .await;
    let mut paged = [ids(&first), ids(&second)].concat();
    paged.sort();
    assert_eq!(paged, expected);
    assert!(second.next_cursor.is_none());
    let by_date = app.tickets_as(agent, "?q=parcel&sort=created&limit=100").await;
    assert_eq!(ids(&by_date), vec![newest, middle, early, oldest]);

    // Only the oldest ticket has it, outside the window.
    assert_eq!(ids(&search(&app, agent, "stapler").await), vec![oldest]);
    // Three matches, all outside the window (found through the index on PostgreSQL): the two
    // newest ranked, all three counted.
    let mut ranked = ids(&search(&app, agent, "toner").await);
    ranked.sort();
    assert_eq!(ranked, toner[1..].to_vec());
    let first = app.tickets_as(agent, "?q=toner&limit=1").await;
    assert_eq!(first.total, Some(3));
    // Three matches, two of them inside the window; all three counted.
    let first = app.tickets_as(agent, "?q=question&limit=1").await;
    assert!([middle, newest].contains(&ids(&first)[0]));
    assert_eq!(first.total, Some(3));
    assert!(search(&app, agent, "nothing").await.items.is_empty());
}

/// A search listed by the nearest target walks the tickets with a due time in that order and keeps
/// the matches (on SQLite; the same answer on PostgreSQL): the matches only, nearest first, a solved
/// one (no target) left out, paged without repeats.
#[tokio::test]
async fn a_search_by_the_nearest_target_lists_the_matches_in_that_order() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let agent = acme.agent();
    let low = open_for_customer(&app, agent, "Parcel late", "Low priority parcel").await;
    let other = open_for_customer(&app, agent, "Printer", "Nothing about shipping").await;
    let urgent = open_for_customer(&app, agent, "Parcel lost", "Urgent parcel").await;
    let solved = open_for_customer(&app, agent, "Parcel found", "Solved parcel").await;
    let normal = open_for_customer(&app, agent, "Parcel question", "Normal parcel").await;
    app.update_ticket(agent, low, &json!({"priority": "low"})).await;
    app.update_ticket(agent, urgent, &json!({"priority": "urgent"})).await;
    app.update_ticket(agent, other, &json!({"priority": "urgent"})).await;
    app.update_ticket(agent, solved, &json!({"status": "solved"})).await;

    let first = app.tickets_as(agent, "?q=parcel&sort=due&limit=2").await;
    assert_eq!(ids(&first), vec![urgent, normal]);
    let cursor = first.next_cursor.clone().expect("a second page");
    let rest = app
        .tickets_as(agent, &format!("?q=parcel&sort=due&limit=2&cursor={cursor}"))
        .await;
    assert_eq!(ids(&rest), vec![low]);
    assert!(rest.next_cursor.is_none());
    assert_eq!(first.total, Some(3));
}

/// PostgreSQL: the migration that keeps a staff document only for tickets with an internal note
/// turns the copies already stored into NULLs, and its `down()` writes them back; staff find the
/// same tickets before and after.
#[tokio::test]
async fn stored_staff_documents_are_kept_only_for_tickets_with_notes() {
    use ferrodesk_migrations::{Migrator, MigratorTrait};
    use sea_orm::DbBackend;

    let app = spawn_app().await;
    let db = &app.state.db;
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let noted = app
        .create_ticket(acme.customer(), "Broken hinge", "The lid hinge snapped.")
        .await;
    app.reply(acme.agent(), noted.ticket.id, "Supplier batch 77 again.", true)
        .await;
    let plain = app
        .create_ticket(acme.customer(), "Broken handle", "The handle came off.")
        .await;
    assert_eq!(
        staff_documents_kept(&app, [noted.ticket.id, plain.ticket.id])
            .await
            .unwrap(),
        [true, false]
    );

    // Undo this migration and every later one: both documents stored again.
    let migrations = Migrator::migrations();
    let from_the_end = migrations
        .iter()
        .rev()
        .position(|migration| migration.name() == "m20261216_000001_search_staff_notes")
        .expect("the migration is listed")
        + 1;
    Migrator::down(db, Some(from_the_end as u32)).await.unwrap();
    assert_eq!(
        staff_documents_kept(&app, [noted.ticket.id, plain.ticket.id])
            .await
            .unwrap(),
        [true, true]
    );
    Migrator::up(db, None).await.unwrap();
    assert_eq!(
        staff_documents_kept(&app, [noted.ticket.id, plain.ticket.id])
            .await
            .unwrap(),
        [true, false]
    );

    assert_eq!(ids(&search(&app, acme.agent(), "broken 77").await), [noted.ticket.id]);
    assert_eq!(ids(&search(&app, acme.agent(), "handle").await), [plain.ticket.id]);
    assert!(search(&app, acme.customer(), "77").await.items.is_empty());
}
