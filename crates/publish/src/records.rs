//! Rollback records as a history: one per publish that changed the distribution, where each
//! lives, and which one a rollback undoes. Pure; the reads and writes are in [`crate::aws`].

use crate::desired::Desired;
use crate::rollback::RollbackRecord;

/// Where the records of `desired`'s distribution live: inside the owned prefix, but not pages,
/// so the bucket policy (pages only) keeps them away from viewers.
pub fn records_prefix(desired: &Desired) -> String {
    format!("{}/_edgepages/rollback/{}/", desired.prefix, desired.distribution_id)
}

/// The key of the record of a publish made at `published_at` (RFC 3339, UTC) that left the
/// distribution with `etag`. Keys sort by time, oldest first.
pub fn record_key(desired: &Desired, published_at: &str, etag: &str) -> String {
    let stamp: String = published_at.chars().filter(|c| !matches!(c, '-' | ':')).collect();
    let etag: String = etag.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("{}{stamp}-{etag}.json", records_prefix(desired))
}

/// The one record per distribution that edgepages 0.x before records kept; read, never written.
pub fn legacy_key(desired: &Desired) -> String {
    format!("{}/_edgepages/rollback-{}.json", desired.prefix, desired.distribution_id)
}

/// A record as read, with the name a user gives `rollback --record`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub key: String,
    pub record: RollbackRecord,
}

impl Listed {
    pub fn new(key: String, record: RollbackRecord) -> Listed {
        let name = key.rsplit('/').next().unwrap_or(&key);
        let id = name.strip_suffix(".json").unwrap_or(name).to_owned();
        Listed { id, key, record }
    }
}

/// Why no record can be rolled back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChooseError {
    #[error("there is no rollback record for distribution {distribution}: edgepages has not changed it yet")]
    None { distribution: String },
    #[error("there is no rollback record {id}; `edgepages rollback --list` shows them: {}", available.join(", "))]
    Unknown { id: String, available: Vec<String> },
    #[error(
        "publish {id} was already rolled back at {at}{}",
        match previous {
            Some(p) => format!(
                "; rollback never undoes an older publish unasked. To undo the one before it, run \
                 `edgepages rollback --record {p}`"
            ),
            None => "; there is no older publish to undo".to_owned(),
        }
    )]
    AlreadyRolledBack { id: String, at: String, previous: Option<String> },
}

/// The record a rollback undoes: `requested`, or else the newest. A record already rolled back
/// is refused, never skipped for an older one. `records` are oldest first.
pub fn choose<'a>(
    records: &'a [Listed],
    requested: Option<&str>,
    distribution: &str,
) -> Result<&'a Listed, ChooseError> {
    let index = match requested {
        Some(id) => records.iter().position(|r| r.id == id).ok_or_else(|| ChooseError::Unknown {
            id: id.to_owned(),
            available: records.iter().map(|r| r.id.clone()).collect(),
        })?,
        None => {
            records.len().checked_sub(1).ok_or_else(|| ChooseError::None { distribution: distribution.to_owned() })?
        }
    };
    let chosen = &records[index];
    if let Some(done) = &chosen.record.rolled_back {
        return Err(ChooseError::AlreadyRolledBack {
            id: chosen.id.clone(),
            at: done.at.clone(),
            previous: records[..index].iter().rev().find(|r| r.record.rolled_back.is_none()).map(|r| r.id.clone()),
        });
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::desired;
    use crate::fixtures::existing;
    use crate::rollback::{OwnedState, RECORD_FORMAT, RolledBack};
    use crate::wiring::Wiring;

    fn listed(published_at: &str, etag: &str) -> Listed {
        let d = desired();
        Listed::new(
            record_key(&d, published_at, etag),
            RollbackRecord {
                format: RECORD_FORMAT,
                distribution_id: d.distribution_id.clone(),
                published_at: Some(published_at.to_owned()),
                published_etag: etag.to_owned(),
                before: OwnedState::capture(&existing(), &d, &Wiring::default()),
                rolled_back: None,
            },
        )
    }

    fn rolled_back(mut l: Listed) -> Listed {
        l.record.rolled_back = Some(RolledBack { at: "2026-12-02T09:00:00Z".into(), etag: "E9".into() });
        l
    }

    #[test]
    fn keys_sort_by_time_and_name_the_publish() {
        let d = desired();
        let key = record_key(&d, "2026-12-02T08:10:50Z", "E2QW\"RUH");
        assert_eq!(key, "edgepages/_edgepages/rollback/E2EXAMPLE123/20261202T081050Z-E2QWRUH.json");
        assert!(key.starts_with(&records_prefix(&d)));
        assert!(record_key(&d, "2026-12-02T08:10:50Z", "ZZ") < record_key(&d, "2026-12-02T08:10:51Z", "AA"));
        assert_eq!(Listed::new(key, listed("2026-12-02T08:10:50Z", "E1").record).id, "20261202T081050Z-E2QWRUH");
    }

    #[test]
    fn the_newest_is_undone_by_default_and_any_by_name() {
        let records = [listed("2026-12-01T10:00:00Z", "E1"), listed("2026-12-02T10:00:00Z", "E2")];
        assert_eq!(choose(&records, None, "D").unwrap().record.published_etag, "E2");
        assert_eq!(choose(&records, Some("20261201T100000Z-E1"), "D").unwrap().record.published_etag, "E1");
        let e = choose(&records, Some("nope"), "D").unwrap_err();
        assert_eq!(
            e,
            ChooseError::Unknown { id: "nope".into(), available: vec![records[0].id.clone(), records[1].id.clone()] }
        );
        assert_eq!(choose(&[], None, "D").unwrap_err(), ChooseError::None { distribution: "D".into() });
    }

    #[test]
    fn a_rolled_back_publish_is_refused_never_skipped_for_an_older_one() {
        let records = [
            listed("2026-12-01T10:00:00Z", "E1"),
            listed("2026-12-01T11:00:00Z", "E2"),
            rolled_back(listed("2026-12-02T10:00:00Z", "E3")),
        ];
        let e = choose(&records, None, "D").unwrap_err();
        assert_eq!(
            e,
            ChooseError::AlreadyRolledBack {
                id: records[2].id.clone(),
                at: "2026-12-02T09:00:00Z".into(),
                previous: Some(records[1].id.clone()),
            }
        );
        assert!(e.to_string().contains("edgepages rollback --record 20261201T110000Z-E2"), "{e}");
        assert_eq!(choose(&records, Some(&records[1].id), "D").unwrap().id, records[1].id);
        let only = [rolled_back(listed("2026-12-01T10:00:00Z", "E1"))];
        assert!(choose(&only, None, "D").unwrap_err().to_string().ends_with("no older publish to undo"));
    }
}
