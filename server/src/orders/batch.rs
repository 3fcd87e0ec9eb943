//! On SQLite, orders are placed by one writer, in batches: SQLite has one
//! writer at a time anyway, so instead of each request taking the write lock
//! for its own transaction, a writer task takes the place-order requests
//! waiting at that moment (first come, first served, at most [`MAX_BATCH`])
//! and places them in one `BEGIN IMMEDIATE … COMMIT`, each inside its own
//! savepoint. An order that is refused (sold out, price changed, a coupon
//! used, …) rolls back to its savepoint and leaves the others alone; every
//! rule and conditional UPDATE of [`place_in_tx`] runs exactly as in a
//! transaction of its own, later orders seeing the earlier ones' writes. The
//! answers go out after the commit; a failed commit fails the batch's placed
//! orders (none of which then exists) with a server error.
//!
//! No request waits for a batch to fill: the writer takes what is queued and
//! goes, and a lone order is placed in a transaction of its own, without
//! savepoints, so it costs what it did before. The writer starts on the
//! first order and stops after [`IDLE`] without one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use sqlx::Executor;
use tokio::sync::{mpsc, oneshot};

use super::place::{place_in_tx, CheckoutError, PlaceOrderRequest, Placed};
use crate::db::Tx;
use crate::state::AppState;

/// Most orders in one transaction.
pub const MAX_BATCH: usize = 32;
/// The writer task ends after this long without an order.
const IDLE: Duration = Duration::from_secs(5);

type Answer = Result<Placed, CheckoutError>;

struct Job {
    user_id: i64,
    req: PlaceOrderRequest,
    reply: oneshot::Sender<Answer>,
}

/// The queue in front of the writer, and what it has done.
#[derive(Default)]
pub struct Batcher {
    queue: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    batches: AtomicU64,
    orders: AtomicU64,
    largest: AtomicU64,
}

/// Batches committed, orders placed or refused in them, the largest batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchStats {
    pub batches: u64,
    pub orders: u64,
    pub largest: u64,
}

impl Batcher {
    /// Place the order in the writer's next batch and wait for its answer.
    pub async fn place(&self, state: &AppState, user_id: i64, req: PlaceOrderRequest) -> Answer {
        let (reply, answer) = oneshot::channel();
        let mut job = Job {
            user_id,
            req,
            reply,
        };
        {
            let mut queue = self.queue.lock().expect("the order queue's lock");
            loop {
                if let Some(q) = queue.as_ref() {
                    match q.send(job) {
                        Ok(()) => break,
                        // The writer stopped for idleness: start another.
                        Err(mpsc::error::SendError(back)) => job = back,
                    }
                }
                let (q, jobs) = mpsc::unbounded_channel();
                tokio::spawn(run(state.clone(), jobs));
                *queue = Some(q);
            }
        }
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the order writer stopped before answering"))?
    }

    pub fn stats(&self) -> BatchStats {
        BatchStats {
            batches: self.batches.load(Ordering::Relaxed),
            orders: self.orders.load(Ordering::Relaxed),
            largest: self.largest.load(Ordering::Relaxed),
        }
    }

    fn count(&self, size: usize) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.orders.fetch_add(size as u64, Ordering::Relaxed);
        self.largest.fetch_max(size as u64, Ordering::Relaxed);
    }
}

async fn run(state: AppState, mut jobs: mpsc::UnboundedReceiver<Job>) {
    loop {
        let first = match tokio::time::timeout(IDLE, jobs.recv()).await {
            Ok(Some(job)) => job,
            Ok(None) => return,
            Err(_idle) => {
                // No new order gets in after this; those already in are placed.
                jobs.close();
                let mut rest = Vec::new();
                while let Ok(job) = jobs.try_recv() {
                    rest.push(job);
                }
                for chunk in chunks(rest) {
                    batch(&state, chunk).await;
                }
                return;
            }
        };
        let mut next = vec![first];
        while next.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => next.push(job),
                Err(_) => break,
            }
        }
        batch(&state, next).await;
    }
}

fn chunks(mut jobs: Vec<Job>) -> Vec<Vec<Job>> {
    let mut out = Vec::new();
    while !jobs.is_empty() {
        let rest = jobs.split_off(jobs.len().min(MAX_BATCH));
        out.push(std::mem::replace(&mut jobs, rest));
    }
    out
}

/// One transaction for `jobs`, in their order.
async fn batch(state: &AppState, mut jobs: Vec<Job>) {
    state.orders.count(jobs.len());
    if jobs.len() == 1 {
        // Alone: its own transaction, as on PostgreSQL, without savepoints.
        let job = jobs.pop().expect("one job");
        let answer = match state.db.begin_write().await {
            Ok(mut tx) => {
                let r = place_in_tx(state, &mut tx, job.user_id, &job.req).await;
                crate::db::finish(tx, r).await
            }
            Err(e) => Err(e.into()),
        };
        let _ = job.reply.send(answer);
        return;
    }
    let mut tx = match state.db.begin_write().await {
        Ok(tx) => tx,
        Err(e) => {
            let msg = format!("starting the order batch: {e}");
            for job in jobs {
                let _ = job.reply.send(Err(anyhow::anyhow!(msg.clone()).into()));
            }
            return;
        }
    };
    let mut answers: Vec<(oneshot::Sender<Answer>, Answer)> = Vec::with_capacity(jobs.len());
    let mut broken = None;
    for job in jobs {
        if broken.is_some() {
            answers.push((job.reply, Err(batch_failed(&broken))));
            continue;
        }
        match one(state, &mut tx, &job).await {
            Ok(answer) => answers.push((job.reply, answer)),
            Err(e) => {
                // A savepoint statement failed: the transaction's state is
                // unknown, so nothing of it is kept.
                broken = Some(e.to_string());
                answers.push((job.reply, Err(batch_failed(&broken))));
            }
        }
    }
    let failure = match broken {
        Some(why) => {
            let _ = tx.rollback().await;
            Some(format!("the order batch failed: {why}"))
        }
        None => tx
            .commit()
            .await
            .err()
            .map(|e| format!("committing the order batch: {e}")),
    };
    for (reply, answer) in answers {
        let answer = match (&failure, answer) {
            (Some(why), Ok(_)) => Err(anyhow::anyhow!(why.clone()).into()),
            (_, answer) => answer,
        };
        let _ = reply.send(answer);
    }
}

fn batch_failed(why: &Option<String>) -> CheckoutError {
    anyhow::anyhow!(
        "the order batch failed: {}",
        why.as_deref().unwrap_or("unknown")
    )
    .into()
}

/// One order inside its savepoint; `Err` only when a savepoint statement
/// itself failed.
async fn one(state: &AppState, tx: &mut Tx, job: &Job) -> Result<Answer, sqlx::Error> {
    (&mut **tx).execute("SAVEPOINT place_order").await?;
    let answer = place_in_tx(state, tx, job.user_id, &job.req).await;
    let end = match answer {
        Ok(_) => "RELEASE place_order",
        Err(_) => "ROLLBACK TO place_order; RELEASE place_order",
    };
    (&mut **tx).execute(end).await?;
    Ok(answer)
}
