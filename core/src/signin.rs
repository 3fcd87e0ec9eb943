//! 签到: the reward for signing in on a Beijing day. The merchant's rule gives
//! points and growth per day and streak bonuses (day 3 +5, day 7 +20, …); a
//! streak continues when yesterday was signed, otherwise it starts again at 1.
//! With `cycle` the streak's bonus position wraps after the longest bonus day
//! (day 8 of a 7-day cycle earns day 1's reward again).
//!
//! Days are day numbers (Beijing days since 1970-01-01); the caller computes
//! them from the clock, this module never reads one.

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuleError};

/// At most this many bonus entries, and bonus days up to this.
pub const MAX_BONUSES: usize = 31;
pub const MAX_BONUS_DAY: u32 = 365;
/// Points or growth per day or per bonus at most.
pub const MAX_REWARD: u64 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StreakBonus {
    /// The streak day that earns the bonus (≥ 1).
    pub day: u32,
    #[serde(default)]
    pub points: u64,
    #[serde(default)]
    pub growth: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SigninRule {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub points_per_day: u64,
    #[serde(default)]
    pub growth_per_day: u64,
    /// Strictly ascending days.
    #[serde(default)]
    pub bonuses: Vec<StreakBonus>,
    /// Start the bonus cycle again after the longest bonus day.
    #[serde(default)]
    pub cycle: bool,
}

fn yes() -> bool {
    true
}

impl Default for SigninRule {
    fn default() -> Self {
        SigninRule {
            enabled: true,
            points_per_day: 5,
            growth_per_day: 1,
            bonuses: vec![
                StreakBonus {
                    day: 3,
                    points: 5,
                    growth: 0,
                },
                StreakBonus {
                    day: 7,
                    points: 20,
                    growth: 5,
                },
            ],
            cycle: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SigninInput {
    pub rule: SigninRule,
    /// The shopper's last signed day, if any (before `today`).
    #[serde(default)]
    pub last_day: Option<i64>,
    /// The streak reached on `last_day` (0 without one).
    #[serde(default)]
    pub last_streak: u32,
    /// Today's Beijing day number.
    pub today: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NextBonus {
    /// The streak day that earns it.
    pub day: u32,
    /// Sign-ins still needed after today (还差N天).
    pub days_left: u32,
    pub points: u64,
    pub growth: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigninReward {
    /// Consecutive signed days including today.
    pub streak: u32,
    /// Today's position in the bonus cycle (= streak without `cycle`).
    pub cycle_day: u32,
    /// Points and growth earned today, bonus included.
    pub points: u64,
    pub growth: u64,
    /// The bonus earned today, if any.
    pub bonus: Option<StreakBonus>,
    pub next_bonus: Option<NextBonus>,
}

/// Refuse a rule the reward could not be computed from.
pub fn validate_rule(rule: &SigninRule) -> Result<()> {
    if rule.points_per_day > MAX_REWARD || rule.growth_per_day > MAX_REWARD {
        return Err(RuleError::invalid(
            "pointsPerDay",
            format!("at most {MAX_REWARD} per day"),
        ));
    }
    if rule.bonuses.len() > MAX_BONUSES {
        return Err(RuleError::invalid(
            "bonuses",
            format!("at most {MAX_BONUSES} bonuses"),
        ));
    }
    let mut prev = 0;
    for b in &rule.bonuses {
        if b.day <= prev || b.day > MAX_BONUS_DAY {
            return Err(RuleError::invalid(
                "bonuses.day",
                format!("days strictly ascending from 1 to {MAX_BONUS_DAY}"),
            ));
        }
        if b.points > MAX_REWARD || b.growth > MAX_REWARD {
            return Err(RuleError::invalid(
                "bonuses.points",
                format!("at most {MAX_REWARD} per bonus"),
            ));
        }
        prev = b.day;
    }
    Ok(())
}

/// Today's streak, reward and next bonus.
pub fn signin_reward(input: &SigninInput) -> Result<SigninReward> {
    let rule = &input.rule;
    validate_rule(rule)?;
    if !rule.enabled {
        return Err(RuleError::SigninDisabled);
    }
    let streak = match input.last_day {
        Some(d) if d >= input.today => {
            return Err(RuleError::invalid("lastDay", "must be before today"))
        }
        Some(d) if d == input.today - 1 => input.last_streak.saturating_add(1).max(1),
        _ => 1,
    };
    let longest = rule.bonuses.last().map(|b| b.day);
    let cycle_day = match longest {
        Some(l) if rule.cycle => (streak - 1) % l + 1,
        _ => streak,
    };
    let bonus = rule.bonuses.iter().find(|b| b.day == cycle_day).cloned();
    let add = |a: u64, b: u64| a.checked_add(b).ok_or(RuleError::AmountOverflow);
    let points = add(rule.points_per_day, bonus.as_ref().map_or(0, |b| b.points))?;
    let growth = add(rule.growth_per_day, bonus.as_ref().map_or(0, |b| b.growth))?;
    let next_bonus = match rule.bonuses.iter().find(|b| b.day > cycle_day) {
        Some(b) => Some(NextBonus {
            day: b.day,
            days_left: b.day - cycle_day,
            points: b.points,
            growth: b.growth,
        }),
        None if rule.cycle => rule.bonuses.first().zip(longest).map(|(b, l)| NextBonus {
            day: b.day,
            days_left: l - cycle_day + b.day,
            points: b.points,
            growth: b.growth,
        }),
        None => None,
    };
    Ok(SigninReward {
        streak,
        cycle_day,
        points,
        growth,
        bonus,
        next_bonus,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(today: i64, last: Option<(i64, u32)>) -> SigninReward {
        signin_reward(&SigninInput {
            rule: SigninRule::default(),
            last_day: last.map(|l| l.0),
            last_streak: last.map_or(0, |l| l.1),
            today,
        })
        .unwrap()
    }

    #[test]
    fn a_seven_day_streak_earns_the_day_three_and_day_seven_bonuses() {
        let mut last = None;
        let mut points = Vec::new();
        for today in 100..107 {
            let r = day(today, last);
            last = Some((today, r.streak));
            points.push(r.points);
        }
        assert_eq!(points, vec![5, 5, 10, 5, 5, 5, 25]);
        assert_eq!(last.unwrap().1, 7);
    }

    #[test]
    fn a_missed_day_starts_the_streak_again() {
        let r = day(110, Some((108, 6)));
        assert_eq!((r.streak, r.points), (1, 5));
        assert_eq!(r.next_bonus.unwrap().days_left, 2);
    }

    #[test]
    fn the_cycle_wraps_after_the_longest_bonus() {
        let r = day(200, Some((199, 7)));
        assert_eq!((r.streak, r.cycle_day, r.points), (8, 1, 5));
        let r = day(200, Some((199, 6)));
        assert_eq!(r.next_bonus.unwrap().days_left, 3);
    }

    #[test]
    fn signing_twice_the_same_day_is_refused_by_the_rule() {
        let e = signin_reward(&SigninInput {
            rule: SigninRule::default(),
            last_day: Some(5),
            last_streak: 1,
            today: 5,
        })
        .unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT");
    }
}
