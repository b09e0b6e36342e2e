//! A multi-producer queue that wakes a consumer sleeping in an event loop's selector.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::interop::sync::lock;

/// A multi-producer queue whose consumer sleeps in a poller: producers write one wake-up byte
/// to a socketpair only when the consumer is not already due to run, so a burst of N pushes
/// costs one syscall and one loop iteration, not N.
pub(crate) struct WakeQueue<T> {
    items: Mutex<Vec<T>>,
    wake_pending: AtomicBool,
    reader: UnixStream,
    writer: UnixStream,
}

impl<T> WakeQueue<T> {
    pub(crate) fn new() -> std::io::Result<Self> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        Ok(WakeQueue {
            items: Mutex::new(Vec::new()),
            wake_pending: AtomicBool::new(false),
            reader,
            writer,
        })
    }

    /// The descriptor that becomes readable when items are waiting.
    pub(crate) fn fd(&self) -> i32 {
        self.reader.as_raw_fd()
    }

    pub(crate) fn push(&self, item: T) {
        lock(&self.items).push(item);
        self.wake();
    }

    /// Writes the wake-up byte unless one is already due.
    fn wake(&self) {
        if !self.wake_pending.swap(true, Ordering::SeqCst) {
            // A failed write needs no handling: a full socket buffer (WouldBlock) means a
            // wake-up is already pending, and a closed reader means the loop is gone.
            (&self.writer).write_all(&[1u8]).ok();
        }
    }

    /// Puts items taken but not handled back in front of the queue and re-arms the wake-up, so
    /// the consumer gets them on its next turn, before anything pushed since.
    pub(crate) fn requeue(&self, mut rest: Vec<T>) {
        if rest.is_empty() {
            return;
        }
        {
            let mut items = lock(&self.items);
            rest.append(&mut items);
            *items = rest;
        }
        self.wake();
    }

    /// Everything pushed so far. Call when `fd()` is readable.
    pub(crate) fn take(&self) -> Vec<T> {
        // Order matters. 1: consume the wake-up bytes. 2: clear the flag. 3: take the items.
        // Every push enqueues before it swaps the flag, so a push that saw the flag still set
        // (swap before step 2) has its item taken in step 3, and a push after step 2 writes a
        // fresh byte that schedules the next take. Clearing the flag before reading would lose
        // wake-ups: the read could swallow the byte of a push whose flag then stays set.
        let mut sink = [0u8; 64];
        loop {
            match (&self.reader).read(&mut sink) {
                Ok(n) if n == sink.len() => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                _ => break,
            }
        }
        self.wake_pending.store(false, Ordering::SeqCst);
        std::mem::take(&mut *lock(&self.items))
    }
}

#[cfg(test)]
mod tests {
    use super::WakeQueue;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    fn readable(fd: i32) -> bool {
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, zero timeout.
        unsafe { libc::poll(&mut poll, 1, 0) == 1 }
    }

    /// Producers race a consumer that only takes when the wake-up fd is readable, as the event
    /// loop does: every item must arrive, or a lost wake-up would strand it forever.
    #[test]
    fn wake_queue_never_strands_an_item() {
        const PRODUCERS: usize = 4;
        const PER_PRODUCER: usize = 50_000;
        // infallible here: a test; a socketpair failure should fail it loudly.
        let queue = Arc::new(WakeQueue::<usize>::new().expect("socketpair"));
        let done = Arc::new(AtomicBool::new(false));
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let queue = queue.clone();
                std::thread::spawn(move || {
                    for i in 0..PER_PRODUCER {
                        queue.push(p * PER_PRODUCER + i);
                        if i % 64 == 0 {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        let consumer = {
            let queue = queue.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let mut received = 0usize;
                let mut idle_since: Option<Instant> = None;
                loop {
                    // Take only when readable, as the event loop's selector does.
                    if readable(queue.fd()) {
                        received += queue.take().len();
                        idle_since = None;
                    } else if done.load(Ordering::SeqCst) {
                        let since = *idle_since.get_or_insert_with(Instant::now);
                        if received == PRODUCERS * PER_PRODUCER
                            || since.elapsed() > Duration::from_secs(2)
                        {
                            return received;
                        }
                    }
                    std::thread::yield_now();
                }
            })
        };
        for p in producers {
            p.join().expect("producer"); // infallible: test threads; a panic fails the test
        }
        done.store(true, Ordering::SeqCst);
        let received = consumer.join().expect("consumer"); // infallible: as above
        assert_eq!(
            received,
            PRODUCERS * PER_PRODUCER,
            "wake-up lost: items stranded"
        );
    }
}
