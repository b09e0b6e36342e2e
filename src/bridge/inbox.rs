//! `Inbox`: the consumer's end of a channel that a Python async iterator reads (a stream's
//! pages, host events). An item received for a waiting request is kept here before the request
//! completes, so that a consumer cancelled while its item was arriving loses nothing: the next
//! read takes it.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::mpsc::Receiver;

use crate::interop::sync::lock;

pub(crate) struct Inbox<T> {
    receiver: Arc<tokio::sync::Mutex<Receiver<T>>>,
    /// Items received by a waiting request, not yet taken. `None` marks the end of the channel.
    kept: Arc<Mutex<VecDeque<Option<T>>>>,
}

impl<T> Clone for Inbox<T> {
    fn clone(&self) -> Self {
        Inbox {
            receiver: self.receiver.clone(),
            kept: self.kept.clone(),
        }
    }
}

impl<T: Send + 'static> Inbox<T> {
    pub(crate) fn new(receiver: Receiver<T>) -> Self {
        Inbox {
            receiver: Arc::new(tokio::sync::Mutex::new(receiver)),
            kept: Arc::new(Mutex::new(VecDeque::new())),
        }
    }

    /// An item that has already arrived (`Some(None)`: the channel is closed), if any.
    pub(crate) fn try_receive(&self) -> Option<Option<T>> {
        if let Some(item) = self.take() {
            return Some(item);
        }
        let mut receiver = self.receiver.try_lock().ok()?;
        match receiver.try_recv() {
            Ok(item) => Some(Some(item)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(None),
        }
    }

    /// Waits for the next item (or the end of the channel) and keeps it for [`Self::take`].
    pub(crate) fn receive(&self) -> impl Future<Output = ()> + Send + 'static {
        let inbox = self.clone();
        async move {
            let item = inbox.receiver.lock().await.recv().await;
            // No await between receiving and keeping: cancellation cannot lose the item.
            lock(&inbox.kept).push_back(item);
        }
    }

    /// The oldest item kept by [`Self::receive`], if any.
    pub(crate) fn take(&self) -> Option<Option<T>> {
        lock(&self.kept).pop_front()
    }

    /// Drops what was kept and closes the channel: the sender sees it closed.
    pub(crate) fn close(&self) {
        lock(&self.kept).clear();
        if let Ok(mut receiver) = self.receiver.try_lock() {
            receiver.close();
        }
    }
}
