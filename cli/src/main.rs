//! # pecmail
//!
//! The command line of [`pecmail`], the library for Italian certified e-mail (PEC, *Posta
//! Elettronica Certificata*). The library does no I/O; this command reads the files and
//! prints the reports.
//!
//! ```text
//! pecmail inspect [--json] [--index FILE]... [--trust FILE]... [--anchor FILE]... [--at RFC3339] [--lenient] FILE...
//! pecmail help | --help | --version
//! ```
//!
//! `inspect` reads received messages with the verifying reader (`pecmail::read::read`) and
//! reports what each one is; its options, text report, JSON Lines fields and exit codes are
//! in this crate's README and in [`inspect`]. Exit status: 0 when every file was read, 1 when
//! a file could not be read or described, 2 on bad usage.

#![forbid(unsafe_code)]
#![warn(rust_2018_idioms)]

mod inspect;
mod json;

use std::ffi::OsString;
use std::process::ExitCode;

const USAGE: &str = "usage: pecmail COMMAND [OPTIONS]

commands:
  inspect   read PEC messages and report kind, signature, trust and diagnostics
  help      this text

pecmail inspect --help gives the options of inspect.";

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let command = args.next();
    match command.as_ref().and_then(|c| c.to_str()) {
        Some("inspect") => inspect::run(args),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("-V" | "--version") => {
            println!("pecmail {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        _ => {
            let shown = command.map(OsString::into_string);
            match shown {
                None => eprintln!("pecmail: no command given\n{USAGE}"),
                Some(c) => eprintln!(
                    "pecmail: unknown command {:?}\n{USAGE}",
                    c.unwrap_or_else(|c| c.to_string_lossy().into_owned())
                ),
            }
            ExitCode::from(2)
        }
    }
}
