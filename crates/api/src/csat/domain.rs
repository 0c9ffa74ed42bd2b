//! The rules of a survey link, pure: how long it works and what an answer may change. A link rates
//! once; the comment may follow the rating (the page asks for it after the one click), once, within a
//! day; the same rating sent again (a double click, a reload) changes nothing and is not an error.

use chrono::{DateTime, Duration, Utc};
use ferrodesk_shared::csat::{MAX_COMMENT_CHARS, Rating, SurveyAnswer};

/// How long a mailed survey link works.
pub const LINK_DAYS: i64 = 30;

/// How long after the rating its comment may still be added.
pub const COMMENT_HOURS: i64 = 24;

/// A survey as stored: the rating and comment so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    pub rating: Option<Rating>,
    pub comment: Option<String>,
    pub rated_at: Option<DateTime<Utc>>,
}

/// What an answer writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The first rating, with its comment if any.
    Rate { rating: Rating, comment: Option<String> },
    /// The comment to the rating already given.
    Comment(String),
    /// Nothing new: the same rating again, without a comment.
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The comment is longer than `MAX_COMMENT_CHARS`.
    CommentTooLong,
    /// The link already rated otherwise, or already has its comment, or the day for it is over.
    AlreadyRated,
}

/// The comment as kept: trimmed, none when blank.
pub fn clean_comment(comment: Option<&str>) -> Result<Option<String>, Refusal> {
    let Some(comment) = comment.map(str::trim).filter(|comment| !comment.is_empty()) else {
        return Ok(None);
    };
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(Refusal::CommentTooLong);
    }
    Ok(Some(comment.to_owned()))
}

pub fn decide(given: &Given, answer: &SurveyAnswer, now: DateTime<Utc>) -> Result<Decision, Refusal> {
    let comment = clean_comment(answer.comment.as_deref())?;
    let Some(rating) = given.rating else {
        return Ok(Decision::Rate {
            rating: answer.rating,
            comment,
        });
    };
    if rating != answer.rating {
        return Err(Refusal::AlreadyRated);
    }
    match (comment, &given.comment) {
        (None, _) => Ok(Decision::Unchanged),
        (Some(new), Some(old)) if new == *old => Ok(Decision::Unchanged),
        (Some(_), Some(_)) => Err(Refusal::AlreadyRated),
        (Some(new), None) => {
            let in_time = given
                .rated_at
                .is_some_and(|rated_at| now - rated_at <= Duration::hours(COMMENT_HOURS));
            if in_time {
                Ok(Decision::Comment(new))
            } else {
                Err(Refusal::AlreadyRated)
            }
        }
    }
}

/// When a link sent at `sent_at` stops working.
pub fn expires_at(sent_at: DateTime<Utc>) -> DateTime<Utc> {
    sent_at + Duration::days(LINK_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap_or_default() + Duration::hours(hours)
    }

    fn answer(rating: Rating, comment: Option<&str>) -> SurveyAnswer {
        SurveyAnswer {
            rating,
            comment: comment.map(str::to_owned),
        }
    }

    fn given(rating: Option<Rating>, comment: Option<&str>) -> Given {
        Given {
            rating,
            comment: comment.map(str::to_owned),
            rated_at: rating.map(|_| at(0)),
        }
    }

    #[test]
    fn a_link_rates_once_and_takes_one_comment_within_a_day() {
        use Rating::{Bad, Good};
        let long = "x".repeat(MAX_COMMENT_CHARS + 1);
        // (case, stored, answer, hours after the rating, expected)
        type Case = (&'static str, Given, SurveyAnswer, i64, Result<Decision, Refusal>);
        let cases: Vec<Case> = vec![
            (
                "first rating",
                given(None, None),
                answer(Good, None),
                0,
                Ok(Decision::Rate {
                    rating: Good,
                    comment: None,
                }),
            ),
            (
                "first rating with a comment, trimmed",
                given(None, None),
                answer(Bad, Some("  too slow \n")),
                0,
                Ok(Decision::Rate {
                    rating: Bad,
                    comment: Some("too slow".to_owned()),
                }),
            ),
            (
                "a blank comment is none",
                given(None, None),
                answer(Good, Some("   ")),
                0,
                Ok(Decision::Rate {
                    rating: Good,
                    comment: None,
                }),
            ),
            (
                "the same click again",
                given(Some(Good), None),
                answer(Good, None),
                1,
                Ok(Decision::Unchanged),
            ),
            (
                "the other rating after",
                given(Some(Good), None),
                answer(Bad, None),
                1,
                Err(Refusal::AlreadyRated),
            ),
            (
                "the comment after the click",
                given(Some(Bad), None),
                answer(Bad, Some("late")),
                23,
                Ok(Decision::Comment("late".to_owned())),
            ),
            (
                "the comment a day too late",
                given(Some(Bad), None),
                answer(Bad, Some("late")),
                25,
                Err(Refusal::AlreadyRated),
            ),
            (
                "a second comment",
                given(Some(Bad), Some("first")),
                answer(Bad, Some("second")),
                1,
                Err(Refusal::AlreadyRated),
            ),
            (
                "the same comment again",
                given(Some(Bad), Some("first")),
                answer(Bad, Some("first")),
                1,
                Ok(Decision::Unchanged),
            ),
            (
                "too long",
                given(None, None),
                answer(Good, Some(long.as_str())),
                0,
                Err(Refusal::CommentTooLong),
            ),
        ];
        for (name, given, answer, hours, expected) in cases {
            assert_eq!(decide(&given, &answer, at(hours)), expected, "{name}");
        }
    }

    #[test]
    fn links_work_thirty_days() {
        assert_eq!(expires_at(at(0)), at(24 * 30));
    }
}
