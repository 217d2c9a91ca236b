//! Provider rules as pure functions (spec 3.5-3.9, 6): the decisions a PEC provider makes
//! besides formatting messages.
//!
//! | point of the provider | decision | here |
//! |---|---|---|
//! | punto di accesso (access point, 6.1) | accept a submission, or refuse it with every reason | [`check_submission`] |
//! | punto di ricezione (incoming point, 6.2) | deliver and take in charge, notice a virus, wrap in an anomaly, or refuse | [`decide_incoming`] |
//! | punto di consegna (delivery point, 3.6, 6.3) | which receipt each recipient gets | [`plan_receipts`] |
//! | sender's provider (3.9) | the 12 h and 24 h timeout notices | [`Tracker`] |
//!
//! Each takes what a provider knows (the message, the SMTP envelope, the reader's result,
//! the caller's antivirus verdict, the time) and returns a decision the builders turn into
//! messages; none does I/O or keeps state behind the caller's back.

mod fanout;
mod incoming;
mod submission;
mod tracking;

pub use fanout::{PlannedReceipt, ReceiptPlan, RecipientOutcome, plan_receipts};
pub use incoming::{
    Destination, IncomingDecision, IncomingPolicy, OrdinaryMail, TakingInChargePlan,
    VirusNoticePlan, decide_incoming,
};
pub use submission::{
    Refusal, RefusalReason, Submission, SubmissionDecision, SubmissionPolicy, check_submission,
};
pub use tracking::{DueNotice, Recorded, Tracker, TrackingEvent, TrackingPolicy};
