//! cql-responder: a forging CQL proxy for client-bound benchmarks (see README.md).
//!
//! Every connection is forwarded to a real node, except that an EXECUTE of a prepared statement
//! whose answer was already recorded (the node's RESULT to the first EXECUTE of that statement)
//! is answered at once from the recording, with the request's stream id.

mod protocol;
mod proxy;

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

const USAGE: &str =
    "usage: cql-responder [--listen ADDR] [--upstream ADDR] [--threads N] [--stats] [--verbose]

  --listen ADDR     address to listen on (default 127.0.0.1:9043)
  --upstream ADDR   the real node to forward to (default 127.0.0.1:9042)
  --threads N       tokio worker threads (default 1)
  --stats           print the EXECUTE counts to stderr whenever a connection closes
                    (they are always printed at exit)
  --verbose         also log ordinary disconnects";

struct Args {
    listen: String,
    upstream: String,
    threads: usize,
    stats: bool,
    verbose: bool,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut args = Args {
        listen: "127.0.0.1:9043".into(),
        upstream: "127.0.0.1:9042".into(),
        threads: 1,
        stats: false,
        verbose: false,
    };
    while let Some(arg) = argv.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_string(), Some(value.into())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| argv.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--listen" => args.listen = value("--listen")?,
            "--upstream" => args.upstream = value("--upstream")?,
            "--threads" => {
                let text = value("--threads")?;
                args.threads = match text.parse() {
                    Ok(n) if n > 0 => n,
                    _ => return Err(format!("--threads: not a positive number: {text}")),
                };
            }
            "--stats" => args.stats = true,
            "--verbose" => args.verbose = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(Some(args))
}

async fn serve(args: Args) -> io::Result<()> {
    let listener = TcpListener::bind(args.listen.as_str())
        .await
        .map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("cannot listen on {}: {err}", args.listen),
            )
        })?;
    let shared = Arc::new(proxy::Shared::new(
        args.upstream.clone(),
        args.verbose,
        args.stats,
    ));
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    {
        let mut stdout = io::stdout().lock();
        writeln!(
            stdout,
            "listening on {} (upstream {})",
            listener.local_addr()?,
            args.upstream
        )?;
        stdout.flush()?;
    }
    let mut next_id: u64 = 0;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    next_id += 1;
                    tokio::spawn(proxy::serve(shared.clone(), client, next_id));
                }
                Err(err) => {
                    // Out of descriptors and the like: nothing to do but wait a little.
                    eprintln!("cql-responder: accept: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        }
    }
    eprintln!("{}", shared.stats.line());
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("cql-responder: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cql-responder: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(serve(args));
    // Open connections are simply dropped.
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("cql-responder: {err}");
            ExitCode::FAILURE
        }
    }
}
