//! The pure-Rust ceiling client of the aiocql benchmark suite.
//!
//! Runs the workloads of `benchmarks/clients/_harness.py` with the `scylla` crate directly (the
//! driver aiocql is built on), so the figures show what the Rust core can do without Python.
//! Same command line, same operations, same measured window and the same `RESULT {json}` line.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::statement::prepared::PreparedStatement;
use scylla::statement::Consistency;
use scylla::value::CqlTimestamp;
use serde_json::{json, Value};
use tokio::runtime::Runtime;
use uuid::Uuid;

/// The `scylla` crate this binary is built with (pinned with `=` in Cargo.toml).
const SCYLLA_VERSION: &str = "1.9.0";
const CLIENT: &str = "rust-scylla";

const KEYSPACE: &str = "aiocql_bench";
const POINT_KEYS: u64 = 100_000;
const WIDE_PARTITIONS: u64 = 100;

/// `bytes(range(100))`, the harness's BLOB.
const BLOB: [u8; 100] = {
    let mut blob = [0u8; 100];
    let mut i = 0;
    while i < blob.len() {
        blob[i] = i as u8;
        i += 1;
    }
    blob
};

/// One row of `wide`: p int, c int, t text, i int, b bigint, d double, f boolean, u uuid,
/// ts timestamp, bl blob.
type WideRow = (
    i32,
    i32,
    String,
    i32,
    i64,
    f64,
    bool,
    Uuid,
    CqlTimestamp,
    Vec<u8>,
);
const WIDE_COLUMNS: usize = 10;
const POINT_COLUMNS: usize = 2;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Workload {
    Insert,
    PointRead,
    WideRead,
}

impl Workload {
    const ALL: [(&'static str, Workload); 3] = [
        ("insert", Workload::Insert),
        ("point_read", Workload::PointRead),
        ("wide_read", Workload::WideRead),
    ];

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, w)| *w)
    }

    fn name(self) -> &'static str {
        match self {
            Workload::Insert => "insert",
            Workload::PointRead => "point_read",
            Workload::WideRead => "wide_read",
        }
    }

    /// `_harness.QUERIES`.
    fn query(self) -> String {
        match self {
            Workload::Insert => format!("INSERT INTO {KEYSPACE}.kv_insert (k, v) VALUES (?, ?)"),
            Workload::PointRead => format!("SELECT k, v FROM {KEYSPACE}.kv WHERE k = ?"),
            Workload::WideRead => {
                format!("SELECT p, c, t, i, b, d, f, u, ts, bl FROM {KEYSPACE}.wide WHERE p = ?")
            }
        }
    }

    /// `_harness.expected_values`.
    fn expected_values(self) -> usize {
        match self {
            Workload::Insert => 0,
            Workload::PointRead => 2,
            Workload::WideRead => 1000,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// command line (the harness's argparse options, plus --threads)
// ---------------------------------------------------------------------------------------------

struct Args {
    host: String,
    port: u16,
    workload: Workload,
    concurrency: usize,
    duration: f64,
    warmup: f64,
    threads: usize,
}

const USAGE: &str = "usage: rust-scylla-bench [--host HOST] [--port PORT] \
--workload {insert,point_read,wide_read} [--concurrency N] [--duration S] [--warmup W] \
[--threads T]";

/// aiocql's runtime rule: min(available cores, 2) worker threads.
fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().min(2))
        .unwrap_or(1)
}

fn parse_args() -> Result<Args, String> {
    let mut host = "127.0.0.1".to_string();
    let mut port: u16 = 9042;
    let mut workload = None;
    let mut concurrency: usize = 1;
    let mut duration: f64 = 5.0;
    let mut warmup: f64 = 2.0;
    let mut threads = default_threads();

    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = || -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => argv
                    .next()
                    .ok_or_else(|| format!("argument {name}: expected one argument")),
            }
        };
        fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
            v.parse()
                .map_err(|_| format!("argument {name}: invalid value: {v:?}"))
        }
        match name.as_str() {
            "--host" => host = value()?,
            "--port" => port = num(&name, &value()?)?,
            "--workload" => {
                let v = value()?;
                workload = Some(Workload::parse(&v).ok_or_else(|| {
                    format!(
                        "argument --workload: invalid choice: {v:?} \
                         (choose from insert, point_read, wide_read)"
                    )
                })?);
            }
            "--concurrency" => concurrency = num(&name, &value()?)?,
            "--duration" => duration = num(&name, &value()?)?,
            "--warmup" => warmup = num(&name, &value()?)?,
            "--threads" => threads = num(&name, &value()?)?,
            _ => return Err(format!("unrecognized arguments: {arg}")),
        }
    }
    let workload = workload.ok_or("the following arguments are required: --workload")?;
    if !(duration.is_finite() && duration >= 0.0 && warmup.is_finite() && warmup >= 0.0) {
        return Err("--duration and --warmup must be non-negative numbers".into());
    }
    if threads == 0 {
        return Err("--threads must be at least 1".into());
    }
    Ok(Args {
        host,
        port,
        workload,
        concurrency,
        duration,
        warmup,
        threads,
    })
}

// ---------------------------------------------------------------------------------------------
// process figures
// ---------------------------------------------------------------------------------------------

fn rusage() -> Option<libc::rusage> {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    (rc == 0).then_some(usage)
}

/// utime + stime of the whole process (all threads), like `_harness._cpu_seconds`.
fn cpu_seconds() -> f64 {
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    rusage().map_or(0.0, |u| tv(u.ru_utime) + tv(u.ru_stime))
}

/// This process's RSS high-water mark (VmHWM, in KiB), like `_harness._peak_rss_mb`. Not
/// ru_maxrss: Linux carries that over from the orchestrator that forked and exec'd us.
fn peak_rss_mb() -> f64 {
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        });
    match hwm {
        Some(kib) => kib / 1024.0,
        None => rusage().map_or(0.0, |u| u.ru_maxrss as f64 / 1024.0),
    }
}

/// Resident set size from /proc/self/statm, like `_harness._rss_mb`.
fn rss_mb() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * page_size as f64 / (1u64 << 20) as f64)
}

/// `_harness._percentile`: index = round(q * (n - 1)) on sorted values.
fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let index = ((q * (sorted.len() - 1) as f64).round_ties_even() as usize).min(sorted.len() - 1);
    Some(sorted[index])
}

// ---------------------------------------------------------------------------------------------
// the operation
// ---------------------------------------------------------------------------------------------

/// "TypeName: message", like the harness's `f"{type(exc).__name__}: {exc}"`.
fn describe<E: std::fmt::Display>(err: E) -> String {
    let full = std::any::type_name::<E>();
    let name = full.rsplit("::").next().unwrap_or(full);
    format!("{name}: {err}")
}

struct Bench {
    session: Session,
    prepared: PreparedStatement,
    workload: Workload,
    /// `_harness._INSERT_BASE`: a random offset per process in [2**40, 2**60).
    insert_base: i64,
}

impl Bench {
    /// Runs the i-th operation and returns how many values it consumed.
    async fn op(&self, i: u64) -> Result<usize, String> {
        match self.workload {
            Workload::Insert => {
                let key = self.insert_base.wrapping_add(i as i64);
                self.session
                    .execute_unpaged(&self.prepared, (key, &BLOB[..]))
                    .await
                    .map_err(describe)?;
                Ok(0)
            }
            Workload::PointRead => {
                let key = ((i % POINT_KEYS) * 7919 % POINT_KEYS) as i64;
                let result = self
                    .session
                    .execute_unpaged(&self.prepared, (key,))
                    .await
                    .map_err(describe)?;
                let rows = result.into_rows_result().map_err(describe)?;
                let mut n = 0;
                for row in rows.rows::<(i64, Vec<u8>)>().map_err(describe)? {
                    black_box(row.map_err(describe)?);
                    n += POINT_COLUMNS;
                }
                Ok(n)
            }
            Workload::WideRead => {
                let partition = (i % WIDE_PARTITIONS) as i32;
                let result = self
                    .session
                    .execute_unpaged(&self.prepared, (partition,))
                    .await
                    .map_err(describe)?;
                let rows = result.into_rows_result().map_err(describe)?;
                let mut n = 0;
                for row in rows.rows::<WideRow>().map_err(describe)? {
                    black_box(row.map_err(describe)?);
                    n += WIDE_COLUMNS;
                }
                Ok(n)
            }
        }
    }
}

fn random_insert_base() -> i64 {
    let low: u64 = 1 << 40;
    let high: u64 = 1 << 60;
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    (low + hasher.finish() % (high - low)) as i64
}

// ---------------------------------------------------------------------------------------------
// the timed run (`_harness.run_async`)
// ---------------------------------------------------------------------------------------------

/// `_harness._Recorder`, shared by the worker tasks; latencies are kept per task.
#[derive(Default)]
struct Recorder {
    recording: AtomicBool,
    stopping: AtomicBool,
    counter: AtomicU64,
    errors: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Recorder {
    fn next_index(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn error(&self, message: String) {
        if self.recording.load(Ordering::SeqCst) {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut first) = self.first_error.lock() {
            first.get_or_insert(message);
        }
    }
}

async fn worker(bench: Arc<Bench>, recorder: Arc<Recorder>) -> Vec<u64> {
    let mut latencies_ns = Vec::new();
    while !recorder.stopping.load(Ordering::SeqCst) {
        let i = recorder.next_index();
        let start = Instant::now();
        if let Err(err) = bench.op(i).await {
            recorder.error(err);
            continue;
        }
        if recorder.recording.load(Ordering::SeqCst) {
            latencies_ns.push(start.elapsed().as_nanos() as u64);
        }
    }
    latencies_ns
}

fn unavailable(reason: &str) -> ExitCode {
    println!("RESULT {}", json!({ "unavailable": reason }));
    ExitCode::from(3)
}

/// Connects, prepares and checks one op; `Err` is the exit code to leave with.
async fn connect(args: &Args) -> Result<Arc<Bench>, ExitCode> {
    let node = format!("{}:{}", args.host, args.port);
    let session = SessionBuilder::new()
        .known_node(&node)
        .connection_timeout(Duration::from_secs(60))
        .build()
        .await
        .map_err(|err| {
            eprintln!("rust-scylla-bench: cannot connect to {node}: {err}");
            ExitCode::FAILURE
        })?;
    let mut prepared = session
        .prepare(args.workload.query())
        .await
        .map_err(|err| {
            eprintln!(
                "rust-scylla-bench: cannot prepare the {} query: {err}",
                args.workload.name()
            );
            ExitCode::FAILURE
        })?;
    prepared.set_consistency(Consistency::One);
    let bench = Arc::new(Bench {
        session,
        prepared,
        workload: args.workload,
        insert_base: random_insert_base(),
    });

    // Check the op once before timing anything: a wrong result shape is a bug, not a figure.
    let expected = args.workload.expected_values();
    match bench.op(0).await {
        Ok(seen) if seen == expected => Ok(bench),
        Ok(seen) => Err(unavailable(&format!(
            "one {} op consumed {seen} values, expected {expected}",
            args.workload.name()
        ))),
        Err(err) => {
            eprintln!(
                "rust-scylla-bench: the first {} op failed: {err}",
                args.workload.name()
            );
            Err(ExitCode::FAILURE)
        }
    }
}

fn run(args: Args, runtime: &Runtime) -> ExitCode {
    let bench = match runtime.block_on(connect(&args)) {
        Ok(bench) => bench,
        Err(code) => return code,
    };
    let rss_after_connect = rss_mb();

    let recorder = Arc::new(Recorder::default());
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| runtime.spawn(worker(Arc::clone(&bench), Arc::clone(&recorder))))
        .collect();
    // The window is timed by the main thread, off the runtime: a busy worker cannot delay it.
    std::thread::sleep(Duration::from_secs_f64(args.warmup));
    recorder.recording.store(true, Ordering::SeqCst);
    let (cpu0, t0) = (cpu_seconds(), Instant::now());
    std::thread::sleep(Duration::from_secs_f64(args.duration));
    recorder.recording.store(false, Ordering::SeqCst);
    let (cpu, elapsed) = (cpu_seconds() - cpu0, t0.elapsed().as_secs_f64());
    recorder.stopping.store(true, Ordering::SeqCst);

    let mut latencies_us: Vec<f64> = Vec::new();
    runtime.block_on(async {
        for handle in workers {
            match handle.await {
                Ok(ns) => latencies_us.extend(ns.into_iter().map(|ns| ns as f64 / 1000.0)),
                Err(err) => recorder.error(describe(err)),
            }
        }
    });
    {
        // Closes the session, like the harness's close(), inside the runtime's context.
        let _context = runtime.enter();
        drop(bench);
    }
    latencies_us.sort_by(f64::total_cmp);

    let ops = latencies_us.len();
    let first_error = recorder.first_error.lock().ok().and_then(|e| e.clone());
    let result = json!({
        "client": CLIENT,
        "workload": args.workload.name(),
        "concurrency": args.concurrency,
        "ops": ops,
        "seconds": elapsed,
        "ops_per_s": if elapsed > 0.0 { ops as f64 / elapsed } else { 0.0 },
        "p50_us": percentile(&latencies_us, 0.50),
        "p99_us": percentile(&latencies_us, 0.99),
        "cpu_s": cpu,
        "cpu_us_per_op": (ops > 0).then(|| cpu / ops as f64 * 1e6),
        "rss_after_connect_mb": rss_after_connect,
        "peak_rss_mb": peak_rss_mb(),
        "errors": recorder.errors.load(Ordering::SeqCst),
        "first_error": first_error,
        "loop_lag_p99_ms": Value::Null,
        "loop_lag_max_ms": Value::Null,
        "python": Value::Null,
        "version": SCYLLA_VERSION,
        "threads": args.threads,
    });
    println!("RESULT {result}");
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{USAGE}\nrust-scylla-bench: error: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .thread_name("rust-scylla-bench-io")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("rust-scylla-bench: cannot start the tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    run(args, &runtime)
}
