//! One shopper's bargain: starting it (the initiation cap is one conditional
//! upsert; the seed is drawn here and stored), helping it (the next cut is
//! claimed by one conditional UPDATE plus a unique (bargain, helper) row; the
//! helper's daily cap is one conditional upsert in the same transaction) and
//! reading it with its progress from the core.

use mall_core::{
    bargain_progress, bargain_split, BargainInput, BargainPlan, BargainProgress,
    BargainProgressInput, Money,
};
use rand::Rng;
use serde::Serialize;
use sqlx::AnyConnection;

use super::activities;
use super::status::{Action, BargainStatus};
use super::{BargainError, Result, RISKY_RANK};
use crate::clock;
use crate::db::{self, Tx};
use crate::paging::{Page, Paging};
use crate::state::AppState;
use crate::wechat::RISK_SCENE_MARKETING;

/// A bargain's row.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub id: i64,
    pub activity_id: i64,
    pub user_id: i64,
    pub sku_id: i64,
    pub start_price: i64,
    pub floor_price: i64,
    pub helpers: i64,
    pub seed: i64,
    pub buy_before_floor: bool,
    pub helps_per_day: i64,
    pub helped: i64,
    pub status: BargainStatus,
    pub order_id: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
}

type RawRow = (
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    String,
    Option<i64>,
    i64,
    i64,
);

const COLUMNS: &str = "id, activity_id, user_id, sku_id, start_price, floor_price, helpers, seed,
    buy_before_floor, helps_per_day, helped, status, order_id, created_at, expires_at";

fn row_of(r: RawRow) -> Result<Row> {
    Ok(Row {
        id: r.0,
        activity_id: r.1,
        user_id: r.2,
        sku_id: r.3,
        start_price: r.4,
        floor_price: r.5,
        helpers: r.6,
        seed: r.7,
        buy_before_floor: r.8 != 0,
        helps_per_day: r.9,
        helped: r.10,
        status: BargainStatus::parse(&r.11)
            .ok_or_else(|| anyhow::anyhow!("bargain {} has status {}", r.0, r.11))?,
        order_id: r.12,
        created_at: r.13,
        expires_at: r.14,
    })
}

pub(super) async fn row(conn: &mut AnyConnection, id: i64) -> Result<Option<Row>> {
    let r: Option<RawRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM bargains WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    r.map(row_of).transpose()
}

impl Row {
    /// The N cuts, recomputed by the core from the stored seed.
    pub(super) fn plan(&self) -> Result<BargainPlan> {
        Ok(bargain_split(&BargainInput {
            price: Money::fen(self.start_price),
            floor: Money::fen(self.floor_price),
            helpers: self.helpers.max(0) as u64,
            seed: self.seed.max(0) as u64,
        })?)
    }

    pub(super) fn progress_input(&self, plan: BargainPlan, helped: i64) -> BargainProgressInput {
        BargainProgressInput {
            price: Money::fen(self.start_price),
            floor: Money::fen(self.floor_price),
            cuts: plan.cuts,
            helped: helped.max(0) as u64,
            buy_before_floor: self.buy_before_floor,
        }
    }

    pub(super) fn progress(&self) -> Result<BargainProgress> {
        Ok(bargain_progress(
            &self.progress_input(self.plan()?, self.helped),
        )?)
    }
}

/// Start a bargain in an activity: within its window, at most
/// `initiations_per_user` per shopper (one conditional upsert). The bargain
/// lasts `window_hours`, or until the activity ends if that is sooner.
pub async fn initiate(state: &AppState, user_id: i64, activity_id: i64) -> Result<i64> {
    let now = db::now();
    let mut tx = state.db.begin_write().await?;
    let r = initiate_in(&mut tx, user_id, activity_id, now).await;
    db::finish(tx, r).await
}

async fn initiate_in(tx: &mut Tx, user_id: i64, activity_id: i64, now: i64) -> Result<i64> {
    let a = activities::get(&mut *tx, activity_id)
        .await?
        .ok_or(BargainError::NotFound("bargain activity"))?;
    if now < a.starts_at || now >= a.ends_at {
        return Err(BargainError::NotRunning);
    }
    let started: Option<i64> = sqlx::query_scalar(
        "INSERT INTO bargain_initiations (activity_id, user_id, started) VALUES ($1, $2, 1)
         ON CONFLICT (activity_id, user_id) DO UPDATE SET started = bargain_initiations.started + 1
         WHERE bargain_initiations.started < $3
         RETURNING started",
    )
    .bind(activity_id)
    .bind(user_id)
    .bind(a.initiations_per_user)
    .fetch_optional(&mut **tx)
    .await?;
    if started.is_none() {
        return Err(BargainError::InitiationLimit {
            limit: a.initiations_per_user,
        });
    }
    // Any seed up to 2^53 − 1 (what the core and JavaScript take).
    let seed = rand::thread_rng().gen_range(0..=mall_core::money::MAX_FEN);
    let expires_at = (now + a.window_hours * 3600).min(a.ends_at);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bargains (activity_id, user_id, sku_id, start_price, floor_price, helpers,
            seed, buy_before_floor, helps_per_day, helped, status, created_at, expires_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $12, $11) RETURNING id",
    )
    .bind(activity_id)
    .bind(user_id)
    .bind(a.sku_id)
    .bind(a.start_price)
    .bind(a.floor_price)
    .bind(a.helpers)
    .bind(seed)
    .bind(a.buy_before_floor as i64)
    .bind(a.helps_per_day)
    .bind(BargainStatus::Open.as_str())
    .bind(now)
    .bind(expires_at)
    .fetch_one(&mut **tx)
    .await?;
    // The schedule must be computable before anyone is asked to help.
    row(&mut *tx, id)
        .await?
        .ok_or(BargainError::NotFound("bargain"))?
        .progress()?;
    Ok(id)
}

/// What a help did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Helped {
    /// Help number k (1-based).
    pub seq: i64,
    /// Fen this helper cut: the plan's k-th cut.
    pub cut: i64,
    pub progress: BargainProgress,
}

/// Help a bargain: not one's own, not a risky account (WeChat's
/// `getuserriskrank`, asked before anything is written), once per bargain, at
/// most `helps_per_day` a Beijing day per activity, and only while it is open.
pub async fn help(
    state: &AppState,
    bargain_id: i64,
    helper_id: i64,
    client_ip: &str,
) -> Result<Helped> {
    let mut conn = state.db.pool.acquire().await?;
    let b = row(&mut conn, bargain_id)
        .await?
        .ok_or(BargainError::NotFound("bargain"))?;
    if b.user_id == helper_id {
        return Err(BargainError::OwnBargain);
    }
    // Fast refusals before asking WeChat (the claim below is what decides).
    match b.status.shown(b.expires_at, db::now()) {
        BargainStatus::Open => {}
        BargainStatus::Floor => return Err(BargainError::Full),
        BargainStatus::Expired => return Err(BargainError::Expired),
        s => return Err(BargainError::Closed(s)),
    }
    let helped_before: Option<i64> = sqlx::query_scalar(
        "SELECT seq FROM bargain_helps WHERE bargain_id = $1 AND helper_id = $2",
    )
    .bind(bargain_id)
    .bind(helper_id)
    .fetch_optional(&mut *conn)
    .await?;
    if helped_before.is_some() {
        return Err(BargainError::AlreadyHelped);
    }
    let openid: String = sqlx::query_scalar("SELECT openid FROM users WHERE id = $1")
        .bind(helper_id)
        .fetch_one(&mut *conn)
        .await?;
    drop(conn);
    let rank = state
        .wechat
        .user_risk_rank(&openid, RISK_SCENE_MARKETING, client_ip)
        .await?;
    if rank >= RISKY_RANK {
        return Err(BargainError::Risky { rank });
    }
    let plan = b.plan()?;
    let now = db::now();
    let mut tx = state.db.begin_write().await?;
    let r = help_in(&mut tx, &b, plan, helper_id, now).await;
    db::finish(tx, r).await
}

async fn help_in(
    tx: &mut Tx,
    b: &Row,
    plan: BargainPlan,
    helper_id: i64,
    now: i64,
) -> Result<Helped> {
    let from = BargainStatus::sources(Action::Help);
    debug_assert_eq!(from, vec![BargainStatus::Open]);
    debug_assert!(BargainStatus::Open.allows(Action::Help, BargainStatus::Floor));
    // The one claim: the next slot, only while open, not full and not expired.
    let seq: Option<i64> = sqlx::query_scalar(
        "UPDATE bargains SET helped = helped + 1, updated_at = $1,
            status = CASE WHEN helped + 1 >= helpers THEN $2 ELSE $3 END
         WHERE id = $4 AND status = $3 AND helped < helpers AND expires_at > $1
         RETURNING helped",
    )
    .bind(now)
    .bind(BargainStatus::Floor.as_str())
    .bind(from[0].as_str())
    .bind(b.id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(seq) = seq else {
        let now_row = row(&mut *tx, b.id)
            .await?
            .ok_or(BargainError::NotFound("bargain"))?;
        return Err(match now_row.status.shown(now_row.expires_at, now) {
            BargainStatus::Expired => BargainError::Expired,
            BargainStatus::Floor => BargainError::Full,
            s => BargainError::Closed(s),
        });
    };
    let day = clock::beijing_day_start(now);
    let today: Option<i64> = sqlx::query_scalar(
        "INSERT INTO bargain_helper_days (activity_id, helper_id, day, helps) VALUES ($1, $2, $3, 1)
         ON CONFLICT (activity_id, helper_id, day) DO UPDATE SET helps = bargain_helper_days.helps + 1
         WHERE bargain_helper_days.helps < $4
         RETURNING helps",
    )
    .bind(b.activity_id)
    .bind(helper_id)
    .bind(day)
    .bind(b.helps_per_day)
    .fetch_optional(&mut **tx)
    .await?;
    if today.is_none() {
        return Err(BargainError::DailyLimit {
            limit: b.helps_per_day,
        });
    }
    let cut = plan
        .cuts
        .get((seq - 1) as usize)
        .copied()
        .ok_or_else(|| anyhow::anyhow!("bargain {} has no cut {seq}", b.id))?;
    let inserted = sqlx::query(
        "INSERT INTO bargain_helps (bargain_id, helper_id, seq, cut, helped_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (bargain_id, helper_id) DO NOTHING",
    )
    .bind(b.id)
    .bind(helper_id)
    .bind(seq)
    .bind(cut.as_fen())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() != 1 {
        return Err(BargainError::AlreadyHelped);
    }
    let progress = bargain_progress(&b.progress_input(plan, seq))?;
    Ok(Helped {
        seq,
        cut: cut.as_fen(),
        progress,
    })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub nickname: String,
    pub avatar: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelperView {
    pub seq: i64,
    pub nickname: String,
    pub avatar: String,
    /// Fen.
    pub cut: i64,
    pub helped_at: i64,
}

/// A bargain as the shopper and their helpers see it: N (`progress.helpersNeeded`)
/// and 还差k人 (`progress.helpersLeft`) are always there.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BargainView {
    pub id: i64,
    pub activity_id: i64,
    pub title: String,
    pub sku_id: i64,
    pub product_id: i64,
    pub product_title: String,
    pub image: String,
    pub start_price: i64,
    pub floor_price: i64,
    pub status: BargainStatus,
    pub progress: BargainProgress,
    pub created_at: i64,
    pub expires_at: i64,
    pub initiator: Person,
    pub helpers: Vec<HelperView>,
    /// Whether the viewer started it.
    pub mine: bool,
    /// Whether the viewer helped it.
    pub helped_by_me: bool,
    /// The order that bought it (its initiator only).
    pub order_id: Option<i64>,
}

pub async fn view(
    conn: &mut AnyConnection,
    id: i64,
    viewer: Option<i64>,
    now: i64,
) -> Result<BargainView> {
    let b = row(&mut *conn, id)
        .await?
        .ok_or(BargainError::NotFound("bargain"))?;
    let a = activities::get(&mut *conn, b.activity_id)
        .await?
        .ok_or(BargainError::NotFound("bargain activity"))?;
    let initiator: (String, String) =
        sqlx::query_as("SELECT nickname, avatar FROM users WHERE id = $1")
            .bind(b.user_id)
            .fetch_one(&mut *conn)
            .await?;
    let helpers: Vec<(i64, i64, String, String, i64, i64)> = sqlx::query_as(
        "SELECT h.seq, h.helper_id, u.nickname, u.avatar, h.cut, h.helped_at
         FROM bargain_helps h JOIN users u ON u.id = h.helper_id
         WHERE h.bargain_id = $1 ORDER BY h.seq",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mine = viewer == Some(b.user_id);
    Ok(BargainView {
        id: b.id,
        activity_id: b.activity_id,
        title: a.title,
        sku_id: b.sku_id,
        product_id: a.product_id,
        product_title: a.product_title,
        image: a.image,
        start_price: b.start_price,
        floor_price: b.floor_price,
        status: b.status.shown(b.expires_at, now),
        progress: b.progress()?,
        created_at: b.created_at,
        expires_at: b.expires_at,
        initiator: Person {
            nickname: initiator.0,
            avatar: initiator.1,
        },
        helped_by_me: viewer.is_some_and(|v| helpers.iter().any(|h| h.1 == v)),
        helpers: helpers
            .into_iter()
            .map(|h| HelperView {
                seq: h.0,
                nickname: h.2,
                avatar: h.3,
                cut: h.4,
                helped_at: h.5,
            })
            .collect(),
        mine,
        order_id: if mine { b.order_id } else { None },
    })
}

/// The shopper's bargains, newest first.
pub async fn mine(
    conn: &mut AnyConnection,
    user_id: i64,
    paging: Paging,
    now: i64,
) -> Result<Page<BargainView>> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bargains WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM bargains WHERE user_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
    )
    .bind(user_id)
    .bind(paging.page_size)
    .bind(paging.offset())
    .fetch_all(&mut *conn)
    .await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.push(view(&mut *conn, id, Some(user_id), now).await?);
    }
    Ok(Page::new(items, paging, total))
}
