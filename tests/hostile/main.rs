//! The hostile-input suite: generated inputs built to break a parser (MIME, CMS, XML,
//! LDIF) or to fool the reader (semantic forgeries beyond the forgery suite). Each case
//! expects a specific error kind or diagnostic, never a panic, and its peak heap memory must
//! stay under four times its input plus a fixed allowance (a counting allocator measures
//! it, per thread).

#[path = "../common/mod.rs"]
mod common;

mod cms;
mod ldif;
mod mime;
mod semantic;
mod xml;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use pecmail::{DiagnosticCode, Error, ErrorKind};

// ---- Memory ---------------------------------------------------------------------------------

/// Counts the live heap bytes of each thread and their peak.
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grew(size: usize) {
    let _ = LIVE.try_with(|l| {
        let live = l.get() + size;
        l.set(live);
        let _ = PEAK.try_with(|p| p.set(p.get().max(live)));
    });
}

fn shrank(size: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(size)));
}

// SAFETY: every call is forwarded to the system allocator with the same arguments; the
// counters only observe sizes and never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The fixed allowance on top of four times the input: tables, the trust store's parsed
/// certificates, formatting.
const ALLOWANCE: usize = 2 << 20;

/// Runs `f` and returns its result and the peak heap it added on this thread.
fn measured<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    let peak = PEAK.with(Cell::get);
    (out, peak.saturating_sub(base))
}

// ---- Cases ----------------------------------------------------------------------------------

/// What a case must give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// An error of this kind.
    Error(ErrorKind),
    /// A result carrying this diagnostic.
    Diagnostic(DiagnosticCode),
}

/// What a parser gave: an error, or the diagnostics of its result.
pub type Outcome = Result<Vec<DiagnosticCode>, Error>;

/// The operation a case attacks.
pub type Run = Box<dyn Fn(&[u8]) -> Outcome>;

/// One hostile input and the operation it attacks.
pub struct Case {
    pub name: &'static str,
    pub input: Vec<u8>,
    pub run: Run,
    pub expect: Expect,
}

impl Case {
    pub fn new(
        name: &'static str,
        input: Vec<u8>,
        expect: Expect,
        run: impl Fn(&[u8]) -> Outcome + 'static,
    ) -> Case {
        Case {
            name,
            input,
            run: Box::new(run),
            expect,
        }
    }
}

/// Runs every case: the expected outcome, no panic, bounded memory.
fn check(cases: Vec<Case>) -> usize {
    let n = cases.len();
    for case in cases {
        let input = case.input;
        let run = case.run;
        let (outcome, peak) =
            measured(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&input))));
        let outcome = outcome.unwrap_or_else(|_| panic!("{}: panicked", case.name));
        match (case.expect, &outcome) {
            (Expect::Error(kind), Err(e)) => {
                assert_eq!(e.kind(), kind, "{}: {e}", case.name)
            }
            (Expect::Diagnostic(code), Ok(codes)) => {
                assert!(
                    codes.contains(&code),
                    "{}: expected {code}, got {codes:?}",
                    case.name
                )
            }
            (expect, got) => panic!("{}: expected {expect:?}, got {got:?}", case.name),
        }
        let bound = 4 * input.len() + ALLOWANCE;
        assert!(
            peak <= bound,
            "{}: peak heap {peak} bytes over {bound} (input {} bytes)",
            case.name,
            input.len()
        );
    }
    n
}

#[test]
fn mime() {
    check(mime::cases());
}

#[test]
fn cms() {
    check(cms::cases());
}

#[test]
fn xml() {
    check(xml::cases());
}

#[test]
fn ldif() {
    check(ldif::cases());
}

#[test]
fn semantic() {
    check(semantic::cases());
}

#[test]
fn at_least_fifty_cases() {
    let n = mime::cases().len()
        + cms::cases().len()
        + xml::cases().len()
        + ldif::cases().len()
        + semantic::cases().len();
    assert!(n >= 50, "{n} cases");
}
