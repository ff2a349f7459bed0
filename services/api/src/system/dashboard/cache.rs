//! The host part of the dashboard, formatted once per snapshot and language.
//!
//! A snapshot changes every ten seconds while the page may be requested hundreds of times a second, and its
//! cards (four sparklines of up to 360 points, a dozen translated values) are the same for every viewer of one
//! language. So the first request after a new sample formats them, outside any lock, and the others share the
//! result. The cache holds the snapshot weakly and compares identities, so it never keeps an old hour alive
//! and never serves one snapshot's figures for another.

use std::sync::{Arc, Mutex, PoisonError, Weak};

use super::cards::{Card, Measured, cards, measured};
use crate::{system::Snapshot, ui::Lang};

/// What the page shows of the host.
#[derive(Debug, PartialEq)]
pub struct HostView {
    /// CPU, memory, disk, load and uptime; empty before the first sample.
    pub cards: Vec<Card>,
    /// When the figures were measured.
    pub measured: Option<Measured>,
}

/// The views of one snapshot, per language.
struct Entry {
    snapshot: Weak<Snapshot>,
    views: Vec<(Lang, Arc<HostView>)>,
}

/// One entry: only the newest snapshot is ever asked for. (Two apps in one process, as in tests, take turns
/// and recompute; they never see each other's figures.)
static CACHE: Mutex<Option<Entry>> = Mutex::new(None);

/// The host view of `snapshot` in `lang`, formatted at most once per snapshot and language (two requests
/// racing on a new snapshot may both format it; either result is the same).
pub fn host_view(lang: Lang, snapshot: &Arc<Snapshot>) -> Arc<HostView> {
    let same = |entry: &Entry| std::ptr::eq(entry.snapshot.as_ptr(), Arc::as_ptr(snapshot));
    {
        let cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = cache.as_ref().filter(|entry| same(entry))
            && let Some((_, view)) = entry.views.iter().find(|(l, _)| *l == lang)
        {
            return Arc::clone(view);
        }
    }
    let view = Arc::new(HostView { cards: cards(lang, snapshot), measured: measured(lang, snapshot) });
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    match cache.as_mut().filter(|entry| same(entry)) {
        Some(entry) => {
            if !entry.views.iter().any(|(l, _)| *l == lang) {
                entry.views.push((lang, Arc::clone(&view)));
            }
        }
        None => *cache = Some(Entry { snapshot: Arc::downgrade(snapshot), views: vec![(lang, Arc::clone(&view))] }),
    }
    view
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::system::Sample;

    fn snapshot(cpu: f32) -> Arc<Snapshot> {
        let sample = Sample {
            at: Utc::now(),
            cpu_percent: cpu,
            cpu_count: 1,
            memory_used_bytes: 1,
            memory_total_bytes: 2,
            swap_used_bytes: 0,
            swap_total_bytes: 0,
            disk_used_bytes: None,
            disk_total_bytes: None,
            load_one: 0.0,
            load_five: 0.0,
            load_fifteen: 0.0,
            uptime_secs: 60,
        };
        Arc::new(Snapshot { samples: vec![sample], disk_mount: None })
    }

    #[test]
    fn a_snapshot_is_formatted_once_per_language_and_a_new_one_afresh() {
        let first = snapshot(10.0);
        let en = host_view(Lang::En, &first);
        assert!(Arc::ptr_eq(&en, &host_view(Lang::En, &first)), "the second request shares the first's view");
        let ar = host_view(Lang::Ar, &first);
        assert_ne!(en.cards[0].value, ar.cards[0].value);
        assert!(Arc::ptr_eq(&ar, &host_view(Lang::Ar, &first)));

        let second = snapshot(20.0);
        let fresh = host_view(Lang::En, &second);
        assert!(!Arc::ptr_eq(&en, &fresh));
        assert_eq!(fresh.cards[0].value, "\u{2068}20\u{2069}%");
        // Whatever the cache holds now, each snapshot gets its own figures.
        assert_eq!(host_view(Lang::En, &first).cards[0].value, "\u{2068}10\u{2069}%");
    }
}
