//! The one place that reads the wall clock. Timestamps are cut to microseconds so that what is
//! stored equals what is read back on both databases (PostgreSQL keeps microseconds).

use chrono::{DateTime, SubsecRound, Utc};

pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
