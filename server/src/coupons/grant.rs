//! Coupons the shop gives (a reward, not a claim): the template's validity,
//! one of its `total` taken with one conditional UPDATE, whether or not the
//! template is claimable in the coupon center and whatever its per-user cap.

use sqlx::AnyConnection;

/// Give `user_id` one coupon of `template_id`; None when the template is
/// gone, expired or fully issued.
pub async fn grant(
    conn: &mut AnyConnection,
    user_id: i64,
    template_id: i64,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    let t: Option<(Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT valid_from, valid_until, valid_days FROM coupon_templates
         WHERE id = $1 AND (valid_until IS NULL OR valid_until > $2)",
    )
    .bind(template_id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((from, until, days)) = t else {
        return Ok(None);
    };
    let r = sqlx::query(
        "UPDATE coupon_templates SET issued = issued + 1 WHERE id = $1 AND issued < total",
    )
    .bind(template_id)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(None);
    }
    let (valid_from, valid_until) = match (from, until, days) {
        (_, _, Some(d)) => (now, now + d * 86_400),
        (f, Some(u), None) => (f.unwrap_or(now), u),
        (f, None, None) => (f.unwrap_or(now), now + 30 * 86_400),
    };
    super::insert(conn, user_id, template_id, valid_from, valid_until, now)
        .await
        .map(Some)
}
