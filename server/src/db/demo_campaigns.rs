//! The demo shop's member campaigns (issue 16), seeded with the shop when
//! `demo_campaigns` is on: a member-only coupon batch for each (granted, not
//! claimable in the coupon center), the three built-ins switched on for
//! 黄金会员 and above, and demo members for them to reach — 黄金 and 钻石,
//! registered 60 days ago, no order yet (the login codes `vip-1` … `vip-10`
//! sign in as them). The job then runs them on the shop's clock: the recall at
//! once, 周三会员日 on Wednesdays from 00:00 Beijing time, the new-arrivals
//! invitation on Fridays from 10:00 for members who order often.
//!
//! The demo shopper (白银) and new shoppers are below 黄金, so the campaigns
//! never put a coupon in their wallets and what checkout picks for them does
//! not change.

use mall_core::segments::{Audience, Caps, Segment};
use sqlx::AnyConnection;

use crate::member_campaigns::{self, Change, Trigger};
use crate::wechat::demo::openid_for_code;

/// The level index campaigns are for: 黄金会员 (the demo program's third level).
pub const MIN_LEVEL: u64 = 2;

/// The demo members' growth: 黄金 (2000+) and 钻石 (10000+).
const MEMBERS: [(&str, i64); 10] = [
    ("林小满", 2100),
    ("周一诺", 2600),
    ("陈可可", 3200),
    ("王大力", 4800),
    ("赵甜甜", 6500),
    ("孙悟饭", 8800),
    ("李清照", 10500),
    ("吴优", 12800),
    ("郑好", 16000),
    ("钱多多", 25000),
];

/// (campaign, coupon title, kind JSON, valid days)
const COUPONS: [(&str, &str, &str, i64); 3] = [
    (
        "memberDay",
        "会员日专享 满100减15",
        r#"{"kind":"threshold","threshold":10000,"amount":1500}"#,
        1,
    ),
    (
        "dormantRecall",
        "召回券 满50减20",
        r#"{"kind":"threshold","threshold":5000,"amount":2000}"#,
        7,
    ),
    (
        "newArrivals",
        "上新券 满80减10",
        r#"{"kind":"threshold","threshold":8000,"amount":1000}"#,
        7,
    ),
];

fn audience(campaign: &str) -> Audience {
    let mut a = Audience {
        min_level: Some(MIN_LEVEL),
        ..Audience::default()
    };
    match campaign {
        "dormantRecall" => {
            a.no_order_days = Some(7);
            a.segments = vec![Segment::Active, Segment::AtRisk, Segment::Dormant];
        }
        "newArrivals" => a.segments = vec![Segment::HighFrequency],
        _ => {}
    }
    a
}

fn trigger(campaign: &str) -> Trigger {
    match campaign {
        "memberDay" => Trigger::Weekly {
            weekday: 3,
            hour: 0,
            minute: 0,
        },
        "newArrivals" => Trigger::Weekly {
            weekday: 5,
            hour: 10,
            minute: 0,
        },
        _ => Trigger::Dormancy,
    }
}

/// Seed the demo members, the coupons and switch the campaigns on.
pub async fn seed(conn: &mut AnyConnection, now: i64) -> anyhow::Result<()> {
    for (i, (nickname, growth)) in MEMBERS.iter().enumerate() {
        sqlx::query(
            "INSERT INTO users (openid, nickname, avatar, growth, points, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 0, $5, $5)",
        )
        .bind(openid_for_code(&format!("vip-{}", i + 1)))
        .bind(*nickname)
        .bind(format!(
            "https://picsum.photos/seed/mall-vip-{}/200/200",
            i + 1
        ))
        .bind(*growth)
        .bind(now - 60 * 86_400)
        .execute(&mut *conn)
        .await?;
    }
    for (campaign, title, kind, days) in COUPONS {
        let template: i64 = sqlx::query_scalar(
            "INSERT INTO coupon_templates (title, shop_id, kind, scope, valid_days, total, per_user_limit, claimable, created_at)
             VALUES ($1, 'self', $2, '{}', $3, 100000, 1, 0, $4) RETURNING id",
        )
        .bind(title)
        .bind(kind)
        .bind(days)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        let change = Change {
            enabled: true,
            trigger: trigger(campaign),
            audience: audience(campaign),
            caps: Caps {
                per_campaign: None,
                per_week: Some(2),
            },
            holdout_bps: 1000,
            coupon_template_id: Some(template),
            banner: None,
            notify: false,
        };
        member_campaigns::update(conn, campaign, &change, now)
            .await
            .map_err(|e| anyhow::anyhow!("demo campaign {campaign}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_audiences_pass_the_campaign_check() {
        for (campaign, ..) in COUPONS {
            let change = Change {
                enabled: true,
                trigger: trigger(campaign),
                audience: audience(campaign),
                caps: Caps::default(),
                holdout_bps: 1000,
                coupon_template_id: Some(1),
                banner: None,
                notify: false,
            };
            assert!(member_campaigns::check(&change).is_ok(), "{campaign}");
        }
    }
}
