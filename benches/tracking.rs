//! Delivery tracking (spec 3.9) at provider scale: one million recipients (100,000 sent
//! messages of 10 PEC recipients), each with its events (a taking in charge, then a delivery
//! for nine in ten), and every tracker ticked at 12 and at 24 hours.
//!
//! ```text
//! cargo bench --bench tracking
//! ```
//!
//! Reports events per second (recorded events and ticks) and the bytes of state per
//! recipient, measured by a counting allocator (heap) plus the inline size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use pecmail::PecTime;
use pecmail::daticert::Recipient;
use pecmail::rules::{Tracker, TrackingEvent, TrackingPolicy};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator with the same arguments; the
// counter only observes sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MESSAGES: usize = 100_000;
const PER_MESSAGE: usize = 10;

fn main() {
    let start = PecTime::from_parts(2026, 6, 1, 10, 0, 0, 120).unwrap();
    let at = |hours: i64, seconds: i64| {
        PecTime::from_unix(start.unix_seconds() + hours * 3600 + seconds, 120).unwrap()
    };
    // Recipient lists made before measuring (they are the caller's data, not the state).
    let lists: Vec<Vec<Recipient>> = (0..MESSAGES)
        .map(|m| {
            (0..PER_MESSAGE)
                .map(|r| Recipient::certified(format!("utente{r}.{m}@pec.esempio.it")))
                .collect()
        })
        .collect();

    let before = LIVE.load(Ordering::Relaxed);
    let t0 = Instant::now();
    let mut trackers: Vec<Tracker> = lists
        .iter()
        .map(|l| Tracker::new(start, l, TrackingPolicy::default()).unwrap())
        .collect();
    let created = t0.elapsed();
    let heap = LIVE.load(Ordering::Relaxed) - before;
    let recipients = MESSAGES * PER_MESSAGE;
    let state_bytes =
        (heap + trackers.len() * std::mem::size_of::<Tracker>()) as f64 / recipients as f64;

    let t1 = Instant::now();
    let mut events = 0usize;
    let mut notices = 0usize;
    for (m, tracker) in trackers.iter_mut().enumerate() {
        for (r, recipient) in lists[m].iter().enumerate() {
            tracker
                .record(
                    &recipient.address,
                    TrackingEvent::TakingInCharge,
                    at(0, 30 + r as i64),
                )
                .unwrap();
            events += 1;
            if (m + r) % 10 != 0 {
                tracker
                    .record(&recipient.address, TrackingEvent::Delivery, at(0, 90))
                    .unwrap();
                events += 1;
            }
        }
    }
    for tracker in trackers.iter_mut() {
        notices += tracker.tick(at(12, 0)).len();
        notices += tracker.tick(at(24, 0)).len();
        events += 2;
    }
    let processed = t1.elapsed();
    assert!(trackers.iter().all(Tracker::is_finished));
    // One in ten recipients had no delivery: one 24 h notice each, no 12 h notice (they were
    // taken in charge within 12 hours).
    assert_eq!(notices, recipients / 10);

    println!("recipients tracked: {recipients} ({MESSAGES} messages x {PER_MESSAGE})");
    println!(
        "create trackers: {:.1} ms ({:.0} recipients/s)",
        created.as_secs_f64() * 1e3,
        recipients as f64 / created.as_secs_f64()
    );
    println!(
        "events and ticks: {events} in {:.1} ms = {:.2} million per second ({notices} notices)",
        processed.as_secs_f64() * 1e3,
        events as f64 / processed.as_secs_f64() / 1e6
    );
    println!(
        "state: {state_bytes:.1} bytes per recipient (heap {heap} bytes + {} bytes inline per \
         tracker)",
        std::mem::size_of::<Tracker>()
    );
}
