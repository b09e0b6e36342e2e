//! The one timeout rule, and how a deadline bounds a call's work.

use std::future::Future;
use std::time::Duration;

use crate::errors::DriverError;

/// A call's deadline: its own `timeout=` wins over the statement's timeout, which wins over the
/// default (the session's `request_timeout`, or for `connect()` the cluster's
/// `connect_timeout`). `None` throughout: no limit.
pub(crate) fn deadline(
    call: Option<Duration>,
    statement: Option<Duration>,
    default: Option<Duration>,
) -> Option<Duration> {
    call.or(statement).or(default)
}

/// Runs `work` within `timeout`; an elapsed deadline becomes `OperationTimedOut` naming `what`.
pub(crate) async fn with_timeout<T>(
    timeout: Option<Duration>,
    what: &'static str,
    work: impl Future<Output = Result<T, DriverError>>,
) -> Result<T, DriverError> {
    match timeout {
        None => work.await,
        Some(limit) => match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => Err(DriverError::OperationTimedOut {
                what,
                timeout: limit,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_call_wins_then_the_statement_then_the_default() {
        let (call, statement, default) = (
            Some(Duration::from_secs(1)),
            Some(Duration::from_secs(2)),
            Some(Duration::from_secs(3)),
        );
        assert_eq!(deadline(call, statement, default), call);
        assert_eq!(deadline(None, statement, default), statement);
        assert_eq!(deadline(None, None, default), default);
        assert_eq!(deadline(call, None, None), call);
        assert_eq!(deadline(None, None, None), None);
    }
}
