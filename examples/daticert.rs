//! Reads `daticert.xml` files and prints what they certify, with the reader's diagnostics and
//! the validator's findings.
//!
//! ```text
//! cargo run --example daticert -- [--strict] [--xml] FILE...
//! ```
//!
//! Lenient by default, as a reader of real-world files should be; `--strict` enforces the DTD.
//! `--xml` also prints the document as this crate writes it. The exit status is 1 when a file
//! could not be read or parsed, 0 otherwise.

use std::process::ExitCode;

use pecmail::Daticert;
use pecmail::daticert::ParseOptions;

fn main() -> ExitCode {
    let mut options = ParseOptions::lenient();
    let mut show_xml = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--strict" => options = ParseOptions::strict(),
            "--xml" => show_xml = true,
            "-h" | "--help" => {
                eprintln!("usage: daticert [--strict] [--xml] FILE...");
                return ExitCode::SUCCESS;
            }
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        eprintln!("usage: daticert [--strict] [--xml] FILE...");
        return ExitCode::from(2);
    }

    let mut status = ExitCode::SUCCESS;
    for file in &files {
        println!("== {file}");
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                println!("error: cannot read: {e}");
                status = ExitCode::FAILURE;
                continue;
            }
        };
        let parsed = match Daticert::parse(&bytes, &options) {
            Ok(p) => p,
            Err(e) => {
                println!("error: {e}");
                status = ExitCode::FAILURE;
                continue;
            }
        };
        let d = &parsed.daticert;
        println!("tipo:              {}", d.kind);
        println!("errore:            {}", d.error);
        println!("mittente:          {}", d.header.sender);
        for r in &d.header.recipients {
            println!("destinatari:       {} ({})", r.address, r.kind);
        }
        println!("risposte:          {}", d.header.reply_to);
        if let Some(s) = &d.header.subject {
            println!("oggetto:           {s:?}");
        }
        println!("gestore-emittente: {}", d.data.provider);
        println!("data:              {}", d.data.time);
        println!("identificativo:    {}", d.data.identifier);
        if let Some(m) = &d.data.client_message_id {
            println!("msgid:             {m}");
        }
        if let Some(r) = d.data.receipt {
            println!("ricevuta:          {r}");
        }
        if let Some(c) = &d.data.delivery {
            println!("consegna:          {c}");
        }
        for r in &d.data.receptions {
            println!("ricezione:         {r}");
        }
        if let Some(e) = &d.data.error_detail {
            println!("errore-esteso:     {e}");
        }
        for diag in &parsed.diagnostics {
            println!("diagnostic: {diag}");
        }
        for v in d.validate() {
            println!("validation: {v}");
        }
        if show_xml {
            let written = d.to_xml();
            print!("{}", written.xml);
            for diag in &written.diagnostics {
                println!("writer: {diag}");
            }
        }
    }
    status
}
