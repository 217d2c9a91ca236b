//! Avvisi di mancata consegna per superamento dei tempi massimi (spec 3.9): the sender's
//! provider follows each sent message and warns the sender when receipts do not come back.
//!
//! > If neither presa in carico nor avvenuta consegna has arrived 12 h after dispatch ⇒ first
//! > avviso. If no avvenuta consegna by 24 h ⇒ second avviso, emitted by the 24th hour but
//! > not before 22 h; the provider stops tracking. Cases: presa in carico within 12 h but no
//! > consegna ⇒ only the 24 h avviso; no presa in carico but consegna between 12 h and 24 h
//! > ⇒ only the 12 h avviso; nothing at all ⇒ both.
//!
//! A [`Tracker`] follows one sent message: its certified (`certificato`) recipients, the
//! only ones whose providers send receipts. It is a pure state machine: events and the
//! current time are inputs, [`Tracker::tick`] returns the notices due, and the caller stores
//! the state between calls (with the `serde` feature, it serialises).
//!
//! Rules, beyond the quoted ones:
//! - the first notice is due when no taking in charge and no delivery *dated* within the
//!   first 12 hours has been recorded; a tick that comes late still sends it, unless the
//!   delivery receipt has arrived meanwhile;
//! - a delivery receipt, a non-delivery notice or a virus notice ends the tracking of that
//!   recipient: no timeout notice ever follows it;
//! - the second notice is due at the policy's time (22 to 24 hours, default 24) and ends
//!   the tracking; a tick after 24 hours that finds both due returns both, first then
//!   second, as the rules give both for "nothing at all";
//! - duplicate events change nothing; events may come in any order.

use std::collections::HashSet;

use crate::build::Timeout;
use crate::daticert::{Recipient, RecipientKind};
use crate::error::{Error, ErrorKind};
use crate::time::PecTime;

const HOUR: i64 = 3600;

/// When the notices are due, in seconds after the acceptance.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TrackingPolicy {
    /// The first notice. Default: 12 hours.
    pub first_notice_after: i64,
    /// The second notice: between 22 and 24 hours. Default: 24 hours.
    pub final_notice_after: i64,
}

impl Default for TrackingPolicy {
    fn default() -> Self {
        TrackingPolicy {
            first_notice_after: 12 * HOUR,
            final_notice_after: 24 * HOUR,
        }
    }
}

impl TrackingPolicy {
    /// A policy with the second notice `final_notice_after` seconds after the acceptance.
    /// Fails with [`ErrorKind::InvalidInput`] outside 22 to 24 hours (spec 3.9).
    pub fn with_final_notice_after(seconds: i64) -> Result<Self, Error> {
        let p = TrackingPolicy {
            final_notice_after: seconds,
            ..TrackingPolicy::default()
        };
        p.validate()?;
        Ok(p)
    }

    fn validate(&self) -> Result<(), Error> {
        if !(22 * HOUR..=24 * HOUR).contains(&self.final_notice_after) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "final_notice_after: {} s, outside 22 to 24 hours",
                    self.final_notice_after
                ),
            ));
        }
        if !(1..self.final_notice_after).contains(&self.first_notice_after) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "first_notice_after: must come before the final notice",
            ));
        }
        Ok(())
    }
}

/// What came back for a recipient.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TrackingEvent {
    /// A ricevuta di presa in carico listing the recipient.
    TakingInCharge,
    /// A ricevuta di avvenuta consegna for the recipient.
    Delivery,
    /// An avviso di mancata consegna for the recipient.
    NonDelivery,
    /// An avviso di rilevazione virus for the recipient.
    VirusDetection,
}

/// What recording an event did.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The event changed the state.
    Changed,
    /// Nothing changed: a duplicate, or an event after the tracking ended.
    Unchanged,
}

/// A timeout notice due for one recipient: build it with
/// [`DeliveryTimeout`](crate::build::DeliveryTimeout).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueNotice {
    /// The recipient it is about.
    pub recipient: String,
    /// The first (12 h) or the second (24 h) notice.
    pub timeout: Timeout,
    /// When it fell due.
    pub due: PecTime,
}

/// One recipient's state. Times are seconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Track {
    address: Box<str>,
    /// The earliest taking in charge or delivery recorded.
    first_answer: Option<i64>,
    /// Bits: [`FIRST_SENT`], [`FINISHED`].
    flags: u8,
}

const FIRST_SENT: u8 = 1;
const FINISHED: u8 = 2;

/// The delivery tracking of one sent message (spec 3.9).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Tracker {
    accepted_at: i64,
    offset_minutes: i32,
    policy: TrackingPolicy,
    tracks: Vec<Track>,
}

impl Tracker {
    /// Starts tracking a message accepted at `accepted_at` for `recipients` (the daticert
    /// `destinatari`: only the `certificato` ones are tracked).
    pub fn new(
        accepted_at: PecTime,
        recipients: &[Recipient],
        policy: TrackingPolicy,
    ) -> Result<Self, Error> {
        policy.validate()?;
        let mut tracks: Vec<Track> = Vec::new();
        // The addresses seen, lower-cased: a search of the tracks for each recipient would be
        // quadratic in a message to thousands.
        let mut seen: HashSet<String> = HashSet::new();
        for r in recipients
            .iter()
            .filter(|r| r.kind == RecipientKind::Certified)
        {
            if seen.insert(r.address.to_ascii_lowercase()) {
                tracks.push(Track {
                    address: r.address.as_str().into(),
                    first_answer: None,
                    flags: 0,
                });
            }
        }
        Ok(Tracker {
            accepted_at: accepted_at.unix_seconds(),
            offset_minutes: accepted_at.offset_minutes(),
            policy,
            tracks,
        })
    }

    /// Records what came back for `recipient` at `at`. Fails with
    /// [`ErrorKind::InvalidInput`] when the recipient is not tracked.
    pub fn record(
        &mut self,
        recipient: &str,
        event: TrackingEvent,
        at: PecTime,
    ) -> Result<Recorded, Error> {
        let track = self
            .tracks
            .iter_mut()
            .find(|t| t.address.eq_ignore_ascii_case(recipient))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("recipient: {recipient} is not a tracked recipient"),
                )
            })?;
        if track.flags & FINISHED != 0 {
            return Ok(Recorded::Unchanged);
        }
        let at = at.unix_seconds();
        match event {
            TrackingEvent::TakingInCharge => {
                if track.first_answer.is_some_and(|t| t <= at) {
                    return Ok(Recorded::Unchanged);
                }
                track.first_answer = Some(at);
            }
            TrackingEvent::Delivery
            | TrackingEvent::NonDelivery
            | TrackingEvent::VirusDetection => {
                if event == TrackingEvent::Delivery {
                    track.first_answer = Some(track.first_answer.map_or(at, |t| t.min(at)));
                }
                track.flags |= FINISHED;
            }
        }
        Ok(Recorded::Changed)
    }

    /// The notices due at `now`, each returned once.
    pub fn tick(&mut self, now: PecTime) -> Vec<DueNotice> {
        let now = now.unix_seconds();
        let first_due = self
            .accepted_at
            .saturating_add(self.policy.first_notice_after);
        let final_due = self
            .accepted_at
            .saturating_add(self.policy.final_notice_after);
        let offset = self.offset_minutes;
        let due_time = |t: i64| {
            PecTime::from_unix(t, offset)
                .or_else(|_| PecTime::from_unix(t, 0))
                .ok()
        };
        let mut out = Vec::new();
        for track in &mut self.tracks {
            if track.flags & FINISHED != 0 {
                continue;
            }
            let answered_in_time = track.first_answer.is_some_and(|t| t <= first_due);
            if now >= first_due && track.flags & FIRST_SENT == 0 {
                track.flags |= FIRST_SENT;
                if !answered_in_time && let Some(due) = due_time(first_due) {
                    out.push(DueNotice {
                        recipient: track.address.to_string(),
                        timeout: Timeout::Hours12,
                        due,
                    });
                }
            }
            if now >= final_due {
                track.flags |= FINISHED;
                if let Some(due) = due_time(final_due) {
                    out.push(DueNotice {
                        recipient: track.address.to_string(),
                        timeout: Timeout::Hours24,
                        due,
                    });
                }
            }
        }
        out
    }

    /// Whether every recipient's tracking has ended (delivered, refused, or the second
    /// notice given): the caller can drop the state.
    pub fn is_finished(&self) -> bool {
        self.tracks.iter().all(|t| t.flags & FINISHED != 0)
    }

    /// The tracked recipients, in order.
    pub fn recipients(&self) -> impl Iterator<Item = &str> {
        self.tracks.iter().map(|t| &*t.address)
    }

    /// The earliest time a tick can return a notice, or `None` when finished: the caller's
    /// timer.
    pub fn next_due(&self) -> Option<PecTime> {
        let first_due = self
            .accepted_at
            .saturating_add(self.policy.first_notice_after);
        let final_due = self
            .accepted_at
            .saturating_add(self.policy.final_notice_after);
        let next = self
            .tracks
            .iter()
            .filter(|t| t.flags & FINISHED == 0)
            .map(|t| {
                if t.flags & FIRST_SENT == 0 {
                    first_due
                } else {
                    final_due
                }
            })
            .min()?;
        PecTime::from_unix(next, self.offset_minutes).ok()
    }
}
