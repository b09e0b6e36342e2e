//! One proxied connection: a task per direction, plus the per-process recording of answers.
//!
//! client → server: frames are parsed out of each read chunk; an EXECUTE whose statement already
//! has a recorded answer is answered here (all forged answers of one chunk go out in one write to
//! the client), everything else is forwarded to the node (again one write per chunk).
//! server → client: frames are forwarded whole; the answer to a forwarded EXECUTE that the
//! recording still lacks is recorded on its way through.
//!
//! Both tasks write to the client socket, each under a lock and always whole frames (v4) or
//! whole groups of segments (v5), so forged and forwarded answers never interleave mid-frame.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{watch, Mutex as AsyncMutex};

use crate::protocol::{
    complete_frame, decode_segments, encode_segments, execute_key, invalid, known_version,
    write_header, ExecuteKey, Header, FLAG_COMPRESSION, FLAG_TRACING, HEADER_LEN, OP_AUTHENTICATE,
    OP_EXECUTE, OP_READY, OP_RESULT, OP_STARTUP, VERSION_RESPONSE,
};

/// Spare room kept in a read buffer before each read.
const READ_CHUNK: usize = 64 * 1024;
/// Sentinel for "no STARTUP awaiting its answer".
const NO_STREAM: i32 = i32::MIN;

/// The node's answer to one prepared statement (as keyed by `protocol::execute_key`).
pub struct Record {
    flags: u8,
    opcode: u8,
    body: Box<[u8]>,
}

#[derive(Default)]
pub struct Stats {
    pub connections: AtomicU64,
    pub forwarded: AtomicU64,
    pub forged: AtomicU64,
    pub recorded: AtomicU64,
}

impl Stats {
    pub fn line(&self) -> String {
        format!(
            "cql-responder: EXECUTE forwarded={} forged={} (recorded statements={}, connections={})",
            self.forwarded.load(Ordering::Relaxed),
            self.forged.load(Ordering::Relaxed),
            self.recorded.load(Ordering::Relaxed),
            self.connections.load(Ordering::Relaxed),
        )
    }
}

/// What all connections of the process share.
pub struct Shared {
    records: Mutex<HashMap<Vec<u8>, Arc<Record>>>,
    pub stats: Stats,
    pub upstream: String,
    pub verbose: bool,
    pub stats_on_close: bool,
}

impl Shared {
    pub fn new(upstream: String, verbose: bool, stats_on_close: bool) -> Self {
        Shared {
            records: Mutex::new(HashMap::new()),
            stats: Stats::default(),
            upstream,
            verbose,
            stats_on_close,
        }
    }

    fn records(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Arc<Record>>> {
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How the connection's bytes are framed (v5 switches to segments after STARTUP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Plain,
    /// A v5 STARTUP went to the node; its answer decides.
    AwaitingStartup,
    Segments,
}

/// What the two directions of one connection share.
struct Conn {
    client_w: AsyncMutex<OwnedWriteHalf>,
    /// Stream id → recording key of the forwarded EXECUTEs whose answer may be recorded.
    pending: Mutex<HashMap<i16, Vec<u8>>>,
    pending_count: AtomicUsize,
    startup_stream: AtomicI32,
    framing: watch::Sender<Framing>,
    /// Set when the client opened with a protocol version this proxy does not parse (a
    /// driver probing v1/v2 or a DSE version before it settles): bytes are then copied as they
    /// are both ways, and the node's refusal makes the driver reconnect with another version.
    passthrough: AtomicBool,
}

impl Conn {
    fn pending(&self) -> MutexGuard<'_, HashMap<i16, Vec<u8>>> {
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn refuse_compression(header: &Header, from: &str) -> io::Result<()> {
    if header.flags & FLAG_COMPRESSION != 0 {
        return Err(invalid(format!(
            "compressed frame from the {from} (opcode 0x{:02x}); cql-responder does not support \
             compression: configure the client without it",
            header.opcode
        )));
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_disconnect(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}

/// Serves one client connection until either side closes; errors end this connection only.
pub async fn serve(shared: Arc<Shared>, client: TcpStream, id: u64) {
    shared.stats.connections.fetch_add(1, Ordering::Relaxed);
    if let Err(err) = run(&shared, client).await {
        if shared.verbose || !is_disconnect(&err) {
            eprintln!("cql-responder: connection {id}: {err}");
        }
    } else if shared.verbose {
        eprintln!("cql-responder: connection {id} closed");
    }
    if shared.stats_on_close {
        eprintln!("{}", shared.stats.line());
    }
}

async fn run(shared: &Arc<Shared>, client: TcpStream) -> io::Result<()> {
    client.set_nodelay(true)?;
    let upstream = TcpStream::connect(shared.upstream.as_str())
        .await
        .map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("cannot connect to {}: {err}", shared.upstream),
            )
        })?;
    upstream.set_nodelay(true)?;
    let (client_r, client_w) = client.into_split();
    let (upstream_r, upstream_w) = upstream.into_split();
    let (framing, _) = watch::channel(Framing::Plain);
    let conn = Arc::new(Conn {
        client_w: AsyncMutex::new(client_w),
        pending: Mutex::new(HashMap::new()),
        pending_count: AtomicUsize::new(0),
        startup_stream: AtomicI32::new(NO_STREAM),
        framing,
        passthrough: AtomicBool::new(false),
    });
    let requests = Requests {
        shared: shared.clone(),
        conn: conn.clone(),
        cache: HashMap::new(),
        key: Vec::new(),
        forwarded: 0,
        forged: 0,
    };
    let mut to_server = tokio::spawn(client_to_server(requests, client_r, upstream_w));
    let mut to_client = tokio::spawn(server_to_client(shared.clone(), conn, upstream_r));
    let joined = tokio::select! {
        joined = &mut to_server => {
            to_client.abort();
            joined
        }
        joined = &mut to_client => {
            to_server.abort();
            joined
        }
    };
    joined.map_err(io::Error::other)?
}

/// The client → server side's handling of request frames.
struct Requests {
    shared: Arc<Shared>,
    conn: Arc<Conn>,
    /// This connection's copy of the records it has used (no lock on the hot path).
    cache: HashMap<Vec<u8>, Arc<Record>>,
    key: Vec<u8>,
    forwarded: u64,
    forged: u64,
}

impl Requests {
    /// Appends the frame to `forward`, or its forged answer to `forged`.
    fn handle(
        &mut self,
        header: Header,
        frame: &[u8],
        forward: &mut Vec<u8>,
        forged: &mut Vec<u8>,
    ) -> io::Result<()> {
        refuse_compression(&header, "client")?;
        if header.opcode != OP_EXECUTE {
            forward.extend_from_slice(frame);
            return Ok(());
        }
        if execute_key(&header, &frame[HEADER_LEN..], &mut self.key) == ExecuteKey::Uncacheable {
            self.forwarded += 1;
            forward.extend_from_slice(frame);
            return Ok(());
        }
        if !self.cache.contains_key(self.key.as_slice()) {
            let found = self.shared.records().get(self.key.as_slice()).cloned();
            match found {
                Some(record) => {
                    self.cache.insert(self.key.clone(), record);
                }
                None => {
                    // Not recorded yet: forward, and let the answer be recorded.
                    self.conn.pending().insert(header.stream, self.key.clone());
                    self.conn.pending_count.fetch_add(1, Ordering::AcqRel);
                    self.forwarded += 1;
                    forward.extend_from_slice(frame);
                    return Ok(());
                }
            }
        }
        if let Some(record) = self.cache.get(self.key.as_slice()) {
            let answer = Header {
                version: header.version | VERSION_RESPONSE,
                flags: record.flags,
                stream: header.stream,
                opcode: record.opcode,
                body_len: record.body.len(),
            };
            forged.reserve(HEADER_LEN + record.body.len());
            write_header(forged, &answer);
            forged.extend_from_slice(&record.body);
            self.forged += 1;
        }
        Ok(())
    }

    fn publish_counts(&mut self) {
        let stats = &self.shared.stats;
        if self.forwarded > 0 {
            stats.forwarded.fetch_add(self.forwarded, Ordering::Relaxed);
            self.forwarded = 0;
        }
        if self.forged > 0 {
            stats.forged.fetch_add(self.forged, Ordering::Relaxed);
            self.forged = 0;
        }
    }
}

/// Makes room for the next read: at least READ_CHUNK, or the rest of a known partial frame.
fn reserve_for_read(buf: &mut Vec<u8>, wanted_total: usize) {
    let want = READ_CHUNK.max(wanted_total.saturating_sub(buf.len()));
    if buf.capacity() - buf.len() < want / 2 {
        buf.reserve(want);
    }
}

/// The full length of the partial frame at the start of `buf`, if its header is there.
fn partial_frame_len(buf: &[u8]) -> usize {
    match crate::protocol::parse_header(buf) {
        Ok(Some(header)) => header.frame_len(),
        _ => 0,
    }
}

async fn client_to_server(
    mut requests: Requests,
    mut client_r: OwnedReadHalf,
    mut upstream_w: OwnedWriteHalf,
) -> io::Result<()> {
    let conn = requests.conn.clone();
    let mut input: Vec<u8> = Vec::with_capacity(READ_CHUNK * 2);
    let mut frames: Vec<u8> = Vec::new(); // v5: the frame stream carried by the segments
    let mut forward: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut forged: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut wrapped: Vec<u8> = Vec::new(); // v5: frames re-wrapped into segments
    let mut segments = false;
    let mut first_frame = true;
    loop {
        let mut awaiting_startup = false;
        if conn.passthrough.load(Ordering::Acquire) {
            if !input.is_empty() {
                upstream_w.write_all(&input).await?;
                input.clear();
            }
            reserve_for_read(&mut input, 0);
            if client_r.read_buf(&mut input).await? == 0 {
                return Ok(());
            }
            continue;
        }
        if segments {
            let used = decode_segments(&input, &mut frames)?;
            input.drain(..used);
            let mut pos = 0;
            while let Some(header) = complete_frame(&frames[pos..])? {
                let end = pos + header.frame_len();
                requests.handle(header, &frames[pos..end], &mut forward, &mut forged)?;
                pos = end;
            }
            frames.drain(..pos);
        } else {
            if first_frame
                && input
                    .first()
                    .is_some_and(|&version| !known_version(version))
            {
                conn.passthrough.store(true, Ordering::Release);
                continue;
            }
            first_frame &= input.is_empty();
            let mut pos = 0;
            while let Some(header) = complete_frame(&input[pos..])? {
                let end = pos + header.frame_len();
                requests.handle(header, &input[pos..end], &mut forward, &mut forged)?;
                pos = end;
                if header.opcode == OP_STARTUP && header.protocol() >= 5 {
                    // Whatever follows is framed as the node's answer decides.
                    conn.startup_stream
                        .store(i32::from(header.stream), Ordering::Release);
                    conn.framing.send_replace(Framing::AwaitingStartup);
                    awaiting_startup = true;
                    break;
                }
            }
            input.drain(..pos);
        }
        requests.publish_counts();

        if !forged.is_empty() {
            let bytes = if segments {
                wrapped.clear();
                encode_segments(&forged, &mut wrapped)?;
                &wrapped
            } else {
                &forged
            };
            conn.client_w.lock().await.write_all(bytes).await?;
            forged.clear();
        }
        if !forward.is_empty() {
            let bytes = if segments {
                wrapped.clear();
                encode_segments(&forward, &mut wrapped)?;
                &wrapped
            } else {
                &forward
            };
            upstream_w.write_all(bytes).await?;
            forward.clear();
        }

        if awaiting_startup {
            let mut framing = conn.framing.subscribe();
            let decided = *framing
                .wait_for(|framing| *framing != Framing::AwaitingStartup)
                .await
                .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
            segments = decided == Framing::Segments;
            continue; // parse what is left of `input` in the new framing
        }

        let wanted = if segments {
            0
        } else {
            partial_frame_len(&input)
        };
        reserve_for_read(&mut input, wanted);
        if client_r.read_buf(&mut input).await? == 0 {
            return Ok(());
        }
    }
}

/// Inspects one frame from the node: records it if it answers a pending EXECUTE; returns true
/// if it is the answer to a v5 STARTUP that switches the connection to segments.
fn inspect_response(
    shared: &Shared,
    conn: &Conn,
    header: Header,
    frame: &[u8],
) -> io::Result<bool> {
    refuse_compression(&header, "server")?;
    if conn.pending_count.load(Ordering::Acquire) > 0 {
        let key = conn.pending().remove(&header.stream);
        if let Some(key) = key {
            conn.pending_count.fetch_sub(1, Ordering::AcqRel);
            if header.opcode == OP_RESULT && header.flags & FLAG_TRACING == 0 {
                let mut records = shared.records();
                records.entry(key).or_insert_with_key(|key| {
                    shared.stats.recorded.fetch_add(1, Ordering::Relaxed);
                    if shared.verbose {
                        eprintln!(
                            "cql-responder: recorded a {}-byte answer for {}",
                            frame.len() - HEADER_LEN,
                            hex(key)
                        );
                    }
                    Arc::new(Record {
                        flags: header.flags,
                        opcode: header.opcode,
                        body: frame[HEADER_LEN..].into(),
                    })
                });
            }
        }
    }
    // (Whatever its version: a node that refuses v5 answers in its own.)
    if i32::from(header.stream) == conn.startup_stream.load(Ordering::Acquire) {
        conn.startup_stream.store(NO_STREAM, Ordering::Release);
        let switch = header.opcode == OP_READY || header.opcode == OP_AUTHENTICATE;
        conn.framing.send_replace(if switch {
            Framing::Segments
        } else {
            Framing::Plain
        });
        return Ok(switch);
    }
    Ok(false)
}

async fn server_to_client(
    shared: Arc<Shared>,
    conn: Arc<Conn>,
    mut upstream_r: OwnedReadHalf,
) -> io::Result<()> {
    let mut input: Vec<u8> = Vec::with_capacity(READ_CHUNK * 2);
    let mut frames: Vec<u8> = Vec::new();
    let mut wrapped: Vec<u8> = Vec::new();
    let mut segments = false;
    loop {
        let wanted = if segments {
            0
        } else {
            partial_frame_len(&input)
        };
        reserve_for_read(&mut input, wanted);
        if upstream_r.read_buf(&mut input).await? == 0 {
            return Ok(());
        }
        if conn.passthrough.load(Ordering::Acquire) {
            conn.client_w.lock().await.write_all(&input).await?;
            input.clear();
            continue;
        }

        // Plain frames pass through as they are (up to the last complete one).
        let mut plain_end = 0;
        if !segments {
            while let Some(header) = complete_frame(&input[plain_end..])? {
                let end = plain_end + header.frame_len();
                let switch = inspect_response(&shared, &conn, header, &input[plain_end..end])?;
                plain_end = end;
                if switch {
                    segments = true; // READY itself is the last plain frame
                    break;
                }
            }
        }
        // Segments are decoded, inspected frame by frame, and re-wrapped.
        let mut segments_used = 0;
        if segments {
            segments_used = decode_segments(&input[plain_end..], &mut frames)?;
            let mut pos = 0;
            while let Some(header) = complete_frame(&frames[pos..])? {
                let end = pos + header.frame_len();
                inspect_response(&shared, &conn, header, &frames[pos..end])?;
                pos = end;
            }
            if pos > 0 {
                encode_segments(&frames[..pos], &mut wrapped)?;
                frames.drain(..pos);
            }
        }
        if plain_end > 0 || !wrapped.is_empty() {
            let mut client_w = conn.client_w.lock().await;
            if plain_end > 0 {
                client_w.write_all(&input[..plain_end]).await?;
            }
            if !wrapped.is_empty() {
                client_w.write_all(&wrapped).await?;
                wrapped.clear();
            }
        }
        input.drain(..plain_end + segments_used);
    }
}
