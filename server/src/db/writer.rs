//! On SQLite the hot writes (placing an order, applying a payment, storing a
//! prepay id, adding to the cart) run one after another in batches: SQLite
//! has one writer at a time anyway, so instead of each request taking the
//! writer's slot for a transaction of its own, a writer task takes the writes
//! waiting at that moment (first come, first served, at most [`MAX_BATCH`])
//! and runs them in one `BEGIN IMMEDIATE … COMMIT`, each inside its own
//! savepoint. A write that fails (an order
//! refused for a sold-out SKU, a changed price, a used coupon, …) rolls back
//! to its savepoint and leaves the others alone; every rule and conditional
//! UPDATE runs exactly as in a transaction of its own, later writes seeing
//! the earlier ones'. The answers go out after the commit; a failed commit
//! fails the batch's writes (none of which then exists) with a server error.
//!
//! No request waits for a batch to fill: the writer takes what is queued and
//! goes, and a lone write runs in a transaction of its own, without
//! savepoints, so it costs what it did before. The writer starts on the first
//! write and stops after [`IDLE`] without one. On PostgreSQL, whose
//! transactions run side by side, [`Db::write`] is one transaction of the
//! caller's own, and [`Db::write_locked`] sends the caller's row lock in one
//! command with its `BEGIN` (the order's lock on the shopper).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::{AnyConnection, Executor};
use tokio::sync::{mpsc, oneshot};

use super::{finish, Backend, Db, Tx};

/// Most writes in one transaction.
pub const MAX_BATCH: usize = 32;
/// The writer task ends after this long without a write.
const IDLE: Duration = Duration::from_secs(5);

/// A write waiting for the writer: it runs once, then answers its caller
/// when the batch's fate is known.
trait Job: Send {
    /// Run in the batch's transaction; whether its writes stay (`false`:
    /// rolled back to its savepoint, or its lone transaction rolled back).
    fn run<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, bool>;
    /// `batch`: `Ok` once committed, `Err` when the batch failed (nothing of
    /// it was kept).
    fn answer(self: Box<Self>, batch: Result<(), &str>);
}

struct Write<T, E, F> {
    work: Option<F>,
    result: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Job for Write<T, E, F>
where
    T: Send,
    E: Send + From<anyhow::Error>,
    F: for<'a> FnOnce(&'a mut Tx) -> BoxFuture<'a, Result<T, E>> + Send,
{
    fn run<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let Some(work) = self.work.take() else {
                return false;
            };
            let result = work(tx).await;
            let keep = result.is_ok();
            self.result = Some(result);
            keep
        })
    }

    fn answer(self: Box<Self>, batch: Result<(), &str>) {
        let answer = match (self.result, batch) {
            // A refusal is the caller's answer whatever became of the batch.
            (Some(Err(refused)), _) => Err(refused),
            (Some(Ok(done)), Ok(())) => Ok(done),
            (_, Err(why)) => Err(anyhow::anyhow!("the write batch failed: {why}").into()),
            (None, Ok(())) => Err(anyhow::anyhow!("the write was not run").into()),
        };
        let _ = self.reply.send(answer);
    }
}

/// The queue in front of SQLite's writer, and what it has done.
#[derive(Default)]
pub struct Queue {
    queue: Mutex<Option<mpsc::UnboundedSender<Box<dyn Job>>>>,
    batches: AtomicU64,
    writes: AtomicU64,
    largest: AtomicU64,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("batches", &self.batches.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Batches committed, writes run in them (kept or refused), the largest batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterStats {
    pub batches: u64,
    pub writes: u64,
    pub largest: u64,
}

impl Db {
    /// Run `work` in a write transaction: on SQLite in the writer's next
    /// batch (inside its own savepoint), on PostgreSQL in a transaction of
    /// its own. `Err` rolls back what `work` wrote, and only that.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: Send + From<anyhow::Error> + From<sqlx::Error> + 'static,
        F: for<'a> FnOnce(&'a mut Tx) -> BoxFuture<'a, Result<T, E>> + Send + 'static,
    {
        self.write_then(None, work).await
    }

    /// [`Db::write`] whose transaction holds a row lock from its first round
    /// trip: on PostgreSQL `lock` (a `SELECT … FOR … UPDATE` without
    /// parameters, e.g. `users::lock_statement`) is sent in one command with
    /// the `BEGIN`; on SQLite it is not sent, the writer's transaction
    /// excludes every other write already.
    pub async fn write_locked<T, E, F>(&self, lock: String, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: Send + From<anyhow::Error> + From<sqlx::Error> + 'static,
        F: for<'a> FnOnce(&'a mut Tx) -> BoxFuture<'a, Result<T, E>> + Send + 'static,
    {
        self.write_then(Some(&lock), work).await
    }

    /// [`Db::write`], with `then` sent with the `BEGIN` on PostgreSQL.
    async fn write_then<T, E, F>(&self, then: Option<&str>, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: Send + From<anyhow::Error> + From<sqlx::Error> + 'static,
        F: for<'a> FnOnce(&'a mut Tx) -> BoxFuture<'a, Result<T, E>> + Send + 'static,
    {
        if self.backend == Backend::Postgres {
            let mut tx = self.begin_write_then(then).await?;
            let r = work(&mut tx).await;
            return finish(tx, r).await;
        }
        let (reply, answer) = oneshot::channel();
        let mut job: Box<dyn Job> = Box::new(Write {
            work: Some(work),
            result: None,
            reply,
        });
        {
            let mut queue = self.queue.queue.lock().expect("the writer queue's lock");
            loop {
                if let Some(q) = queue.as_ref() {
                    match q.send(job) {
                        Ok(()) => break,
                        // The writer stopped for idleness: start another.
                        Err(mpsc::error::SendError(back)) => job = back,
                    }
                }
                let (q, jobs) = mpsc::unbounded_channel();
                spawn_writer(self.clone(), jobs)?;
                *queue = Some(q);
            }
        }
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the writer stopped before answering"))?
    }

    /// [`Db::write`] for `work` that is **one statement** (atomic by itself):
    /// on SQLite the same (the writer's next batch, in a savepoint of its
    /// own); on PostgreSQL the statement runs on a pooled connection outside
    /// a transaction, without the `BEGIN` and `COMMIT` round trips. For a
    /// statement on a hot path; elsewhere [`Db::write_conn`] runs it alone
    /// in the writer's slot.
    pub async fn write_one<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: Send + From<anyhow::Error> + From<sqlx::Error> + 'static,
        F: for<'a> FnOnce(&'a mut AnyConnection) -> BoxFuture<'a, Result<T, E>> + Send + 'static,
    {
        if self.backend == Backend::Postgres {
            return work(&mut *self.pool.acquire().await?).await;
        }
        self.write(move |tx| work(tx)).await
    }

    pub fn writer_stats(&self) -> WriterStats {
        let w = &self.queue;
        WriterStats {
            batches: w.batches.load(Ordering::Relaxed),
            writes: w.writes.load(Ordering::Relaxed),
            largest: w.largest.load(Ordering::Relaxed),
        }
    }
}

impl Queue {
    fn count(&self, size: usize) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.writes.fetch_add(size as u64, Ordering::Relaxed);
        self.largest.fetch_max(size as u64, Ordering::Relaxed);
    }
}

/// The writer runs on a thread of its own: its round trips to SQLite's
/// connection thread are answered at once, not after whatever the request
/// runtime is busy with (a response woken from another thread waits in
/// that runtime's queue behind the requests' own work). The thread ends with
/// the writer, after [`IDLE`] without a write.
fn spawn_writer(db: Db, jobs: mpsc::UnboundedReceiver<Box<dyn Job>>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("mall-writer".into())
        .spawn(move || rt.block_on(run(db, jobs)))?;
    Ok(())
}

async fn run(db: Db, mut jobs: mpsc::UnboundedReceiver<Box<dyn Job>>) {
    loop {
        let first = match tokio::time::timeout(IDLE, jobs.recv()).await {
            Ok(Some(job)) => job,
            Ok(None) => return,
            // Idle: no new write gets in after this; those already queued
            // are still received (and run), then `None` ends the writer.
            Err(_idle) => {
                jobs.close();
                continue;
            }
        };
        let mut next = vec![first];
        while next.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => next.push(job),
                Err(_) => break,
            }
        }
        batch(&db, next).await;
    }
}

/// One transaction for `jobs`, in their order; a lone write without
/// savepoints.
async fn batch(db: &Db, mut jobs: Vec<Box<dyn Job>>) {
    db.queue.count(jobs.len());
    let alone = jobs.len() == 1;
    let mut tx = match db.begin_write().await {
        Ok(tx) => tx,
        Err(e) => {
            let why = format!("starting the batch: {e}");
            for job in jobs {
                job.answer(Err(&why));
            }
            return;
        }
    };
    let mut broken = None;
    // A lone refused write has no savepoint to go back to: its transaction goes.
    let mut refused_alone = false;
    // The previous write's savepoint end, sent with the next one's start.
    let mut end: Option<&'static str> = None;
    for job in &mut jobs {
        if broken.is_some() {
            break;
        }
        match one(&mut tx, job.as_mut(), !alone, end.take()).await {
            Ok((keep, ended)) => {
                end = ended;
                refused_alone = alone && !keep;
            }
            // A savepoint statement failed: the transaction's state is
            // unknown, so nothing of it is kept.
            Err(e) => broken = Some(e.to_string()),
        }
    }
    if let (None, Some(end)) = (&broken, end) {
        if let Err(e) = (&mut *tx).execute(end).await {
            broken = Some(e.to_string());
        }
    }
    let failure = match broken {
        Some(why) => {
            let _ = tx.rollback().await;
            Some(why)
        }
        None if refused_alone => {
            if let Err(e) = tx.rollback().await {
                tracing::warn!(error = %e, "rollback failed");
            }
            None
        }
        None => tx.commit().await.err().map(|e| format!("committing: {e}")),
    };
    for job in jobs {
        job.answer(failure.as_deref().map_or(Ok(()), Err));
    }
}

/// One write, inside its savepoint when it shares the transaction, with the
/// statement that ends that savepoint (sent by the caller with the next
/// write's start, or alone after the last: one round trip to the
/// connection's thread fewer per write); `ended`: the previous write's end,
/// sent first. `Err` only when a savepoint statement itself failed.
async fn one(
    tx: &mut Tx,
    job: &mut dyn Job,
    savepoint: bool,
    ended: Option<&'static str>,
) -> Result<(bool, Option<&'static str>), sqlx::Error> {
    if !savepoint {
        return Ok((job.run(tx).await, None));
    }
    let start = match ended {
        Some(end) => format!("{end}; SAVEPOINT write"),
        None => "SAVEPOINT write".to_string(),
    };
    (&mut **tx).execute(start.as_str()).await?;
    let keep = job.run(tx).await;
    let end = match keep {
        true => "RELEASE write",
        false => "ROLLBACK TO write; RELEASE write",
    };
    Ok((keep, Some(end)))
}
