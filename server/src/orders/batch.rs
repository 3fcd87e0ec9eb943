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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
            // Idle: no new order gets in after this; those already queued
            // are still received (and placed), then `None` ends the writer.
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
        batch(&state, next).await;
    }
}

/// One transaction for `jobs`, in their order; a lone order without
/// savepoints.
async fn batch(state: &AppState, jobs: Vec<Job>) {
    state.orders.count(jobs.len());
    let alone = jobs.len() == 1;
    let mut tx = match state.db.begin_write().await {
        Ok(tx) => tx,
        Err(e) => {
            let why = format!("starting the order batch: {e}");
            for job in jobs {
                let _ = job.reply.send(Err(anyhow::anyhow!(why.clone()).into()));
            }
            return;
        }
    };
    // None: not placed, the batch broke before or at this order.
    let mut answers: Vec<(oneshot::Sender<Answer>, Option<Answer>)> =
        Vec::with_capacity(jobs.len());
    let mut broken = None;
    // The previous order's savepoint end, sent with the next one's start.
    let mut end: Option<&'static str> = None;
    for job in jobs {
        let answer = match broken {
            Some(_) => None,
            None => match one(state, &mut tx, &job, !alone, end.take()).await {
                Ok((answer, ended)) => {
                    end = ended;
                    Some(answer)
                }
                // A savepoint statement failed: the transaction's state is
                // unknown, so nothing of it is kept.
                Err(e) => {
                    broken = Some(e.to_string());
                    None
                }
            },
        };
        answers.push((job.reply, answer));
    }
    if let (None, Some(end)) = (&broken, end) {
        if let Err(e) = (&mut *tx).execute(end).await {
            broken = Some(e.to_string());
        }
    }
    // A lone refused order has no savepoint to go back to: its transaction goes.
    let refused_alone = alone && matches!(answers[0].1, Some(Err(_)));
    let failure = match broken {
        Some(why) => {
            let _ = tx.rollback().await;
            Some(format!("the order batch failed: {why}"))
        }
        None if refused_alone => {
            if let Err(e) = tx.rollback().await {
                tracing::warn!(error = %e, "rollback failed");
            }
            None
        }
        None => tx
            .commit()
            .await
            .err()
            .map(|e| format!("committing the order batch: {e}")),
    };
    for (reply, answer) in answers {
        let answer = match (answer, &failure) {
            (Some(Err(refused)), _) => Err(refused),
            (Some(Ok(placed)), None) => Ok(placed),
            (_, why) => Err(anyhow::anyhow!(why
                .clone()
                .unwrap_or_else(|| "the order batch failed".into()))
            .into()),
        };
        let _ = reply.send(answer);
    }
}

/// One order, inside its savepoint when it shares the transaction, with the
/// statement that ends that savepoint (sent by the caller with the next
/// order's start, or alone after the last: one round trip to the
/// connection's thread fewer per order); `ended`: the previous order's end,
/// sent first. `Err` only when a savepoint statement itself failed.
async fn one(
    state: &AppState,
    tx: &mut Tx,
    job: &Job,
    savepoint: bool,
    ended: Option<&'static str>,
) -> Result<(Answer, Option<&'static str>), sqlx::Error> {
    if !savepoint {
        return Ok((place_in_tx(state, tx, job.user_id, &job.req).await, None));
    }
    let start = match ended {
        Some(end) => format!("{end}; SAVEPOINT place_order"),
        None => "SAVEPOINT place_order".to_string(),
    };
    (&mut **tx).execute(start.as_str()).await?;
    let answer = place_in_tx(state, tx, job.user_id, &job.req).await;
    let end = match answer {
        Ok(_) => "RELEASE place_order",
        Err(_) => "ROLLBACK TO place_order; RELEASE place_order",
    };
    Ok((answer, Some(end)))
}
