//! One view of a ticket per audience, used by REST and by the WebSocket events alike, so what a
//! customer can see never differs between the two. Staff see the whole ticket; the requester sees
//! their request and where it stands, without the team's workflow (the AI's guess and who set the
//! category, the category itself, which may be a workspace's internal label, tags, SLA targets,
//! breaches and escalations; and on the detail, `service::detail` leaves out the rating and the
//! possible duplicate).

use ferrodesk_shared::sla::TicketSla;
use ferrodesk_shared::tickets::Ticket;

use crate::auth::Principal;

/// The ticket as its requester (a customer) may see it.
pub fn for_requester(ticket: Ticket) -> Ticket {
    // Named field by field, so a field added to `Ticket` does not compile until someone decides
    // whether the requester may see it.
    let Ticket {
        id,
        number,
        subject,
        status,
        priority,
        category: _,
        category_source: _,
        ai_category: _,
        tags: _,
        requester,
        assignee,
        created_at,
        updated_at,
        first_response_at,
        solved_at,
        preview,
        sla: _,
    } = ticket;
    Ticket {
        id,
        number,
        subject,
        status,
        priority,
        category: None,
        category_source: None,
        ai_category: None,
        tags: Vec::new(),
        requester,
        assignee,
        created_at,
        updated_at,
        first_response_at,
        solved_at,
        preview,
        sla: TicketSla::default(),
    }
}

/// The ticket as `viewer` may see it: everything for staff, the requester's view otherwise
/// (a customer only ever reaches their own tickets).
pub fn for_viewer(viewer: &Principal, ticket: Ticket) -> Ticket {
    if viewer.is_staff() {
        ticket
    } else {
        for_requester(ticket)
    }
}
