//! Placing an order: the checkout's lines and options, priced by the core
//! (`catalog::pricing`), re-quoted inside the order's transaction and placed
//! only when the fingerprint equals the one the shopper confirmed; coupons,
//! points and stock (`stock::reserve`) taken in the same transaction; an
//! idempotency key returns the same order.

use mall_core::shipping::Delivery;
use mall_core::{CartLine, CouponChoice, GroupRole, PointsChoice, QuoteOptions, RuleError};
use rand::Rng;
use serde::Deserialize;

use crate::cart::{self, core_line};
use crate::catalog;
use crate::catalog::pricing::{self, RulesFrom};
use crate::coupons::{self, Holdings};
use crate::crypto::Sealed;
use crate::db::{self, Batch, Tx};
use crate::distribution;
use crate::members::addresses;
use crate::members::users;
use crate::orders::{self, NewOrder, OrderDetail, OrderStatus};
use crate::shop_rules;
use crate::state::AppState;
use crate::stock;

/// Why a checkout was refused.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A rule failure from the core (stock, limits, coupons, points, …).
    #[error("rule: {0}")]
    Rule(#[from] RuleError),
    /// A line the core marked invalid, with the core's own error.
    #[error("line refused: {}", .0.code)]
    Line(mall_core::ErrorBody),
    #[error("nothing to buy")]
    Empty,
    /// `group` with something other than one buy-now item in an activity.
    #[error("group buy: {0}")]
    GroupItem(&'static str),
    /// A cart line in a flash sale: flash-sale units are bought now, through
    /// the sale's admission (`flash::gate`), never from the cart.
    #[error("flash-sale line {line_id} in the cart")]
    FlashInCart {
        line_id: String,
        activity_id: String,
    },
    /// The quote differs from the one the shopper confirmed.
    #[error("price changed")]
    PriceChanged(Box<mall_core::Quote>),
    /// Redis mode: the flash-sale claim was voided before this order could
    /// apply it (its request took too long); the shopper retries.
    #[error("flash claim {0} voided")]
    ClaimVoided(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

impl From<crate::group_buy::GroupError> for CheckoutError {
    fn from(e: crate::group_buy::GroupError) -> Self {
        use crate::group_buy::GroupError;
        match e {
            GroupError::Rule(r) => CheckoutError::Rule(r),
            GroupError::NotFound(what) => CheckoutError::NotFound(what),
            GroupError::Db(d) => CheckoutError::Db(d),
            GroupError::Other(o) => CheckoutError::Other(o),
        }
    }
}

impl CheckoutError {
    /// The SKU this refusal found with no unit left (the quote's line or the
    /// stock taking), for the flash-sale gate's sold-out flag.
    pub fn sold_out_sku(&self) -> Option<i64> {
        let (code, sku, available) = match self {
            CheckoutError::Rule(e @ RuleError::OutOfStock { sku_id, available }) => {
                (e.code().to_string(), sku_id.clone(), *available)
            }
            CheckoutError::Line(b) => (
                b.code.clone(),
                b.details.get("skuId")?.as_str()?.to_string(),
                b.details.get("available")?.as_u64()?,
            ),
            _ => return None,
        };
        (code == "OUT_OF_STOCK" && available == 0)
            .then(|| sku.parse().ok())
            .flatten()
    }

    fn invalid(field: &'static str, reason: impl Into<String>) -> CheckoutError {
        CheckoutError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

impl From<pricing::PricingError> for CheckoutError {
    fn from(e: pricing::PricingError) -> Self {
        match e {
            pricing::PricingError::Rule(r) => CheckoutError::Rule(r),
            pricing::PricingError::Db(d) => CheckoutError::Db(d),
            pricing::PricingError::Other(o) => CheckoutError::Other(o),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuyNowItem {
    pub sku_id: i64,
    pub quantity: i64,
    #[serde(default)]
    pub activity_id: Option<String>,
    /// Buy the shopper's own bargain (砍价) at its current price.
    #[serde(default)]
    pub bargain_id: Option<i64>,
}

/// 拼团: open a new group (no `groupId`) or join one; with one buy-now item
/// in a group-buy activity.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupChoice {
    #[serde(default)]
    pub group_id: Option<i64>,
    /// The share token the shopper opened (its sharer may earn a reward).
    #[serde(default)]
    pub share_token: Option<String>,
}

impl GroupChoice {
    pub fn role(&self) -> GroupRole {
        if self.group_id.is_some() {
            GroupRole::Member
        } else {
            GroupRole::Leader
        }
    }
}

/// What to price: buy-now `items`, or else the selected cart lines.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckoutRequest {
    #[serde(default)]
    pub items: Option<Vec<BuyNowItem>>,
    #[serde(default)]
    pub coupons: CouponChoice,
    #[serde(default)]
    pub points: PointsChoice,
    /// Express delivery to this address.
    #[serde(default)]
    pub address_id: Option<i64>,
    /// Pickup or same-city delivery (express comes from `addressId`).
    #[serde(default)]
    pub delivery: Option<Delivery>,
    #[serde(default)]
    pub group: Option<GroupChoice>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlaceOrderRequest {
    #[serde(default)]
    pub items: Option<Vec<BuyNowItem>>,
    #[serde(default)]
    pub coupons: CouponChoice,
    #[serde(default)]
    pub points: PointsChoice,
    #[serde(default)]
    pub address_id: Option<i64>,
    #[serde(default)]
    pub delivery: Option<Delivery>,
    #[serde(default)]
    pub group: Option<GroupChoice>,
    /// The fingerprint of the quote the shopper confirmed.
    pub fingerprint: String,
    /// A client-generated key; the same key returns the same order.
    pub idempotency_key: String,
    #[serde(default)]
    pub remark: String,
    /// Redis mode: the flash-sale claims (activity, claim id) this order
    /// applies, set by the server, never read from the body.
    #[serde(skip)]
    pub flash_claims: Vec<(String, String)>,
}

impl PlaceOrderRequest {
    fn checkout(&self) -> CheckoutRequest {
        CheckoutRequest {
            items: self.items.clone(),
            coupons: self.coupons.clone(),
            points: self.points,
            address_id: self.address_id,
            delivery: self.delivery.clone(),
            group: self.group.clone(),
        }
    }
}

/// The lines, the options and the sealed address of a checkout.
pub struct Prepared {
    pub lines: Vec<CartLine>,
    /// The cart's SKUs, read with its lines (`None`: buy now, read when priced).
    pub snapshot: Option<catalog::Snapshot>,
    /// The shopper's growth, points and wallet, read with the cart's lines
    /// (`None`: buy now, read when priced; or no such shopper).
    pub holdings: Option<Holdings>,
    pub from_cart: bool,
    pub options: QuoteOptions,
    pub address: Option<addresses::AddressFields>,
}

pub async fn prepare(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    req: &CheckoutRequest,
    now: i64,
) -> Result<Prepared, CheckoutError> {
    let (lines, from_cart, snapshot, holdings): (Vec<CartLine>, bool, _, _) = match &req.items {
        Some(items) => {
            if items.is_empty() || items.len() > 50 {
                return Err(CheckoutError::invalid("items", "1 to 50 items"));
            }
            if items
                .iter()
                .any(|it| it.bargain_id.is_some() && it.activity_id.is_some())
            {
                return Err(CheckoutError::invalid(
                    "items",
                    "give activityId or bargainId, not both",
                ));
            }
            let lines = items
                .iter()
                .enumerate()
                .map(|(i, it)| CartLine {
                    line_id: format!("b{}", i + 1),
                    sku_id: it.sku_id.to_string(),
                    quantity: it.quantity,
                    selected: true,
                    activity_id: match it.bargain_id {
                        Some(b) => Some(crate::bargains::activity_key(b)),
                        None => it.activity_id.clone().filter(|a| !a.is_empty()),
                    },
                    seen_unit_price: None,
                    group_role: req.group.as_ref().map(GroupChoice::role),
                })
                .collect();
            (lines, false, None, None)
        }
        None => {
            let read = cart::read_for_pricing(&mut *conn, user_id, now).await?;
            (
                read.items.iter().map(core_line).collect(),
                true,
                Some(read.snapshot),
                read.holdings,
            )
        }
    };
    if from_cart {
        refuse_flash_lines(&mut *conn, &lines).await?;
    }
    if let Some(g) = &req.group {
        if from_cart {
            return Err(CheckoutError::GroupItem("a group buy is one buy-now item"));
        }
        check_group(&mut *conn, user_id, g, &lines).await?;
    }
    let (delivery, address) = match (req.address_id, &req.delivery) {
        (Some(_), Some(_)) => {
            return Err(CheckoutError::invalid(
                "delivery",
                "give addressId or delivery, not both",
            ))
        }
        (Some(id), None) => {
            let a = addresses::get(&mut *conn, &state.keys, user_id, id)
                .await?
                .ok_or(CheckoutError::NotFound("address"))?;
            (
                Some(Delivery::Express {
                    region_code: a.fields.region_code.clone(),
                }),
                Some(a.fields),
            )
        }
        (None, Some(Delivery::Express { .. })) => {
            return Err(CheckoutError::invalid(
                "delivery",
                "express delivery takes addressId",
            ))
        }
        (None, d) => (d.clone(), None),
    };
    Ok(Prepared {
        lines,
        snapshot,
        holdings,
        from_cart,
        options: QuoteOptions {
            coupons: req.coupons.clone(),
            points: req.points,
            delivery,
        },
        address,
    })
}

/// A group buy is one buy-now item in an activity; a joiner is told at once
/// when the group cannot take them (placing the order takes the seat).
async fn check_group(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    g: &GroupChoice,
    lines: &[CartLine],
) -> Result<(), CheckoutError> {
    let [line] = lines else {
        return Err(CheckoutError::GroupItem("a group buy is one buy-now item"));
    };
    if line.activity_id.is_none() {
        return Err(CheckoutError::GroupItem(
            "the item needs its group-buy activityId",
        ));
    }
    if let Some(t) = &g.share_token {
        crate::share::check_token(t).map_err(|r| CheckoutError::invalid("group.shareToken", r))?;
    }
    if let Some(id) = g.group_id {
        let state = crate::group_buy::seats::state(&mut *conn, id)
            .await?
            .ok_or(CheckoutError::NotFound("group"))?;
        let already_member = crate::group_buy::seats::is_member(&mut *conn, id, user_id).await?;
        mall_core::check_join(&mall_core::JoinInput {
            group: state,
            now: db::now(),
            already_member,
        })?;
    }
    Ok(())
}

fn sku_id_of(s: &str) -> Result<i64, CheckoutError> {
    s.parse()
        .map_err(|_| CheckoutError::invalid("skuId", "not a SKU id"))
}

pub enum Placed {
    /// Placed now: its detail, built from what was written (no read back).
    New(Box<OrderDetail>),
    /// The idempotency key's earlier order.
    Replayed(i64),
}

/// Unix seconds and 12 random digits: at 1000 orders a second, a clash (which
/// the unique index would turn into a failed order) is a one-in-two-million event.
fn order_no(now: i64) -> String {
    format!(
        "{now}{:012}",
        rand::thread_rng().gen_range(0..1_000_000_000_000u64)
    )
}

/// The order's reads under its lock on the shopper, in one statement: the
/// shopper's growth and points, the order this idempotency key already
/// placed, and the shop's rules and the distribution settings as this
/// transaction reads them (never a cached copy). None: no such shopper.
async fn balances_key_and_settings(
    tx: &mut Tx,
    user_id: i64,
    key: &str,
) -> sqlx::Result<Option<LockedReads>> {
    sqlx::query_as(
        "SELECT u.growth, u.points,
                (SELECT id FROM orders WHERE user_id = $1 AND idempotency_key = $2),
                (SELECT value FROM settings WHERE key = $3),
                (SELECT value FROM settings WHERE key = $4)
         FROM users u WHERE u.id = $1",
    )
    .bind(user_id)
    .bind(key)
    .bind(shop_rules::RULES_KEY)
    .bind(distribution::settings::KEY)
    .fetch_optional(&mut **tx)
    .await
}

/// Growth, points, the replayed order, the rules and the distribution settings.
type LockedReads = (i64, i64, Option<i64>, Option<String>, Option<String>);

/// The order, in [`place`]'s transaction, which holds the shopper's lock
/// from its `BEGIN` (`Db::write_locked`).
async fn place_in_tx(
    state: &AppState,
    tx: &mut Tx,
    user_id: i64,
    req: &PlaceOrderRequest,
) -> Result<Placed, CheckoutError> {
    let now = db::now();
    // Read under the lock: one checkout per shopper at a time (limits,
    // points, wallet, idempotency).
    let (growth, points, replayed, rules, distribution) =
        balances_key_and_settings(tx, user_id, &req.idempotency_key)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no shopper {user_id}"))?;
    if let Some(id) = replayed {
        return Ok(Placed::Replayed(id));
    }
    let p = prepare(state, tx, user_id, &req.checkout(), now).await?;
    if p.options.delivery.is_none() {
        return Err(CheckoutError::invalid(
            "addressId",
            "choose an address or a delivery method",
        ));
    }
    let rules = RulesFrom::Read(Box::new(
        shop_rules::parse(rules).map_err(anyhow::Error::from)?,
    ));
    // The balances as the lock read them; the wallet read with the cart
    // after it (both in this transaction).
    let shopper = pricing::Shopper {
        id: user_id,
        known: match p.holdings {
            Some(h) => pricing::Known::Holdings(Holdings {
                growth,
                points,
                wallet: h.wallet,
            }),
            None => pricing::Known::Balances(growth, points),
        },
    };
    let priced = pricing::price(
        tx,
        shopper,
        p.lines,
        p.snapshot,
        p.options.clone(),
        now,
        rules,
    )
    .await?;
    let q = &priced.quote;
    if let Some(bad) = q.invalid_lines.iter().find(|l| l.selected) {
        return Err(CheckoutError::Line(bad.error.clone()));
    }
    if q.lines.is_empty() {
        return Err(CheckoutError::Empty);
    }
    if q.fingerprint != req.fingerprint {
        return Err(CheckoutError::PriceChanged(Box::new(q.clone())));
    }
    let order_no = order_no(now);
    let address: Option<Sealed> = p
        .address
        .as_ref()
        .map(|a| addresses::seal_for_order(&state.keys, &order_no, a))
        .transpose()?;
    let delivery = p.options.delivery.as_ref().expect("checked above");
    let distribution = async {
        let settings = distribution::settings::parse(distribution)?;
        distribution::binding::chain(tx, &settings, user_id, now).await
    }
    .await
    .map_err(|e| anyhow::anyhow!("distribution: {e}"))?;
    let new = NewOrder {
        order_no: &order_no,
        user_id,
        idempotency_key: &req.idempotency_key,
        quote: q,
        delivery,
        address,
        phone_tail: p.address.as_ref().map(|a| {
            let digits: Vec<char> = a.phone.chars().filter(char::is_ascii_digit).collect();
            digits[digits.len().saturating_sub(4)..].iter().collect()
        }),
        remark: req.remark.trim(),
        distribution: distribution.as_ref(),
        now,
        expires_at: now + state.config.order_ttl_secs,
    };
    let order_id = orders::insert(tx, &new).await?;
    for (activity, claim) in &req.flash_claims {
        if !crate::flash::redis::apply_row(tx, activity, claim, order_id, now).await? {
            return Err(CheckoutError::ClaimVoided(claim.clone()));
        }
    }
    let mut lines = Vec::with_capacity(q.lines.len());
    for line in &q.lines {
        let view = priced
            .views
            .get(&sku_id_of(&line.sku_id)?)
            .ok_or_else(|| anyhow::anyhow!("priced SKU {} has no catalog view", line.sku_id))?;
        lines.push(orders::line_view(line, view)?);
    }
    // The order's independent writes go together (`db::Batch`): its lines,
    // the coupons it consumes, its allocations and event, the cart lines it
    // bought.
    let mut batch = Batch::new();
    for line in &lines {
        orders::push_line(&mut batch, order_id, line)?;
    }
    let mut consumed = Vec::with_capacity(q.coupons.applied.len());
    for c in &q.coupons.applied {
        let id: i64 = c.coupon_id.parse().unwrap_or(0);
        consumed.push((batch.len(), &c.coupon_id));
        coupons::push_consume(&mut batch, user_id, id, order_id, now);
    }
    orders::push_allocations(&mut batch, order_id, q)?;
    orders::push_event(
        &mut batch,
        order_id,
        None,
        OrderStatus::PendingPayment,
        "shopper",
        now,
    );
    let bought: Vec<i64> = if p.from_cart {
        q.lines
            .iter()
            .filter_map(|l| l.line_id.parse().ok())
            .collect()
    } else {
        vec![]
    };
    cart::push_remove_many(&mut batch, user_id, &bought);
    // Stock last, so the hot rows stay locked only until the commit; in SKU
    // order, so two multi-SKU orders cannot deadlock.
    let mut takes: Vec<(i64, &mall_core::quote::QuotedLine)> = q
        .lines
        .iter()
        .map(|l| Ok((sku_id_of(&l.sku_id)?, l)))
        .collect::<Result<_, CheckoutError>>()?;
    takes.sort_by_key(|(sku, l)| (*sku, l.activity_id.clone()));
    // On PostgreSQL, when nothing but the stock follows the batch (no
    // points, group or activity line) and each SKU is on one line, the takes
    // join the batch, last: the same writes, one statement fewer.
    let in_batch = tx.backend_name() == "PostgreSQL"
        && q.points.used == 0
        && req.group.is_none()
        && takes.iter().all(|(_, l)| l.activity_id.is_none())
        && takes.windows(2).all(|w| w[0].0 != w[1].0);
    let mut batch_takes = Vec::new();
    if in_batch {
        for (sku_id, line) in &takes {
            let claim = stock::Claim {
                sku_id: *sku_id,
                quantity: line.quantity as i64,
                activity_id: None,
                order_id,
                at: now,
            };
            batch_takes.push((stock::push_take(&mut batch, &claim), *sku_id, *line));
        }
        takes.clear();
    }
    let changed = batch.run(tx).await?;
    if let Some((_, coupon_id)) = consumed.iter().find(|(slot, _)| changed[*slot] != 1) {
        return Err(RuleError::CouponUsed {
            coupon_id: coupon_id.to_string(),
        }
        .into());
    }
    if let Some((_, sku_id, line)) = batch_takes.iter().find(|(slot, _, _)| changed[*slot] != 1) {
        return Err(RuleError::OutOfStock {
            sku_id: line.sku_id.clone(),
            available: catalog::sku_stock(tx, *sku_id).await?.max(0) as u64,
        }
        .into());
    }
    if q.points.used > 0 {
        let used = q.points.used as i64;
        if !users::add_points(tx, user_id, -used, "order payment", Some(order_id), now).await? {
            return Err(RuleError::PointsInsufficient {
                balance: priced.input.buyer.points_balance,
                requested: q.points.used,
            }
            .into());
        }
    }
    // 砍价: bind the bargain to this order, its price checked under the row lock.
    crate::bargains::bind_order(tx, user_id, order_id, &q.lines, now).await??;
    let mut group_id = None;
    if let (Some(g), [line]) = (&req.group, q.lines.as_slice()) {
        let shared_by = match &g.share_token {
            Some(t) => crate::share::sharer(tx, t, "group", g.group_id).await?,
            None => None,
        };
        let seat = crate::group_buy::seats::take(
            tx,
            &crate::group_buy::seats::Take {
                role: g.role(),
                group_id: g.group_id,
                activity_id: line.activity_id.as_deref().unwrap_or(""),
                sku_id: sku_id_of(&line.sku_id)?,
                user_id,
                order_id,
                shared_by,
                now,
            },
        )
        .await?;
        group_id = Some(seat);
    }
    // The takes not in the batch.
    for (sku_id, line) in takes {
        let claim = stock::Claim {
            sku_id,
            quantity: line.quantity as i64,
            // A bargain has no activity quota: its one unit is the SKU's.
            activity_id: line
                .activity_id
                .as_deref()
                .filter(|a| crate::bargains::bargain_of(a).is_none()),
            order_id,
            at: now,
        };
        let available = match (stock::reserve(tx, &claim).await?, claim.activity_id) {
            (Ok(()), _) => continue,
            // Read in this transaction: a second connection could deadlock.
            (Err(stock::Shortage::Activity), Some(activity)) => {
                stock::activity_left(tx, activity, sku_id).await?
            }
            _ => catalog::sku_stock(tx, sku_id).await?.max(0) as u64,
        };
        return Err(RuleError::OutOfStock {
            sku_id: line.sku_id.clone(),
            available,
        }
        .into());
    }
    crate::flash::buyers::record(
        tx,
        &priced.input.rules.activities,
        &q.lines,
        user_id,
        order_id,
    )
    .await??;
    Ok(Placed::New(Box::new(orders::placed_detail(
        order_id, &new, lines, p.address, group_id,
    )?)))
}

/// A cart holding a flash-sale line (put there before such lines were
/// refused, or before its activity became a flash sale) is not checked out:
/// the sale's units go through its admission, which a cart would bypass.
async fn refuse_flash_lines(
    conn: &mut sqlx::AnyConnection,
    lines: &[CartLine],
) -> Result<(), CheckoutError> {
    let in_activity: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l.selected)
        .filter_map(|l| Some((l.line_id.as_str(), l.activity_id.as_deref()?)))
        .collect();
    if in_activity.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = in_activity.iter().map(|l| l.1).collect();
    let flash = crate::flash::state::flash_sale_ids(conn, &ids).await?;
    match in_activity.iter().find(|l| flash.iter().any(|f| f == l.1)) {
        Some((line_id, activity_id)) => Err(CheckoutError::FlashInCart {
            line_id: line_id.to_string(),
            activity_id: activity_id.to_string(),
        }),
        None => Ok(()),
    }
}

/// The checkout's quote (and the core input it priced) for the shopper.
pub async fn quote(
    state: &AppState,
    user_id: i64,
    req: &CheckoutRequest,
    now: i64,
) -> Result<pricing::Priced, CheckoutError> {
    let mut conn = state.db.pool.acquire().await?;
    let p = prepare(state, &mut conn, user_id, req, now).await?;
    Ok(pricing::price(
        &mut conn,
        pricing::Shopper::holding(user_id, p.holdings),
        p.lines,
        p.snapshot,
        p.options,
        now,
        RulesFrom::Cache(&state.rules),
    )
    .await?)
}

/// Place the order: on PostgreSQL in its own write transaction, on SQLite in
/// the writer's next batch (`db::writer`).
pub async fn place(
    state: &AppState,
    user_id: i64,
    req: &PlaceOrderRequest,
) -> Result<Placed, CheckoutError> {
    let (state, req) = (state.clone(), req.clone());
    let db = state.db.clone();
    // The shopper's lock goes with the transaction's BEGIN (PostgreSQL).
    db.write_locked(users::lock_statement(user_id), move |tx| {
        Box::pin(async move { place_in_tx(&state, tx, user_id, &req).await })
    })
    .await
}
