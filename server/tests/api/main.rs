//! HTTP-level tests: each starts the real server on 127.0.0.1:0 with a fresh
//! database (SQLite by default; a fresh PostgreSQL database per test when
//! TEST_DATABASE_URL=postgres://... is set) and the fake WeChat API.

mod helpers;
mod instances;

mod access;
mod addresses;
mod admin;
mod admin_distribution;
mod admin_marketing;
mod admin_members;
mod admin_orders;
mod auth;
mod bargains;
mod batch;
mod cart;
mod catalog;
mod checkout;
mod concurrency;
mod coupon_center;
mod distribution;
mod distribution_payouts;
mod faults;
mod flash;
mod flash_buckets;
mod flash_crash;
mod flash_redis;
mod gifts;
mod groups;
mod hardening;
mod member;
mod member_campaigns;
mod member_segments;
mod meta;
mod orders;
mod pay;
mod recommend;
mod refunds;
mod reviews;
mod shipping;
mod signin;
mod stats;
mod subscriptions;
