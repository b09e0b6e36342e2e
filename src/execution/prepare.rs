//! The one prepare-and-cache.

use scylla::client::session::Session as ScyllaSession;
use scylla::statement::prepared::PreparedStatement as ScyllaPrepared;
use scylla::statement::unprepared::Statement;

use super::core::SessionCore;
use super::hosts::with_host_errors;
use super::prepared_cache::cache_key;
use crate::errors::DriverResult;

/// Rows per page of a statement that sets none.
pub(crate) const DEFAULT_PAGE_SIZE: i32 = 5000;

/// A statement of `text` with the default page size, to send unprepared or to prepare.
pub(crate) fn new_statement(text: String) -> Statement {
    let mut statement = Statement::new(text);
    statement.set_page_size(DEFAULT_PAGE_SIZE);
    statement
}

/// Prepares `text` on the cluster and keeps it in the session's cache, under the keyspace the
/// session is using now. The statement is cached as prepared: options are the caller's to apply.
pub(crate) async fn prepare_cached(
    core: &SessionCore,
    session: &ScyllaSession,
    text: String,
) -> DriverResult<ScyllaPrepared> {
    let key = cache_key(session, &text);
    let prepared = session
        .prepare(new_statement(text))
        .await
        .map_err(|e| with_host_errors(session, e.into()))?;
    core.remember(key, prepared.clone());
    Ok(prepared)
}
