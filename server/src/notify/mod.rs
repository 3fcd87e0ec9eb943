//! Notifications to shoppers: WeChat subscription messages (订阅消息).
//!
//! A state change writes its [`Message`] to the outbox in its own
//! transaction ([`outbox::enqueue`]); [`outbox::send_due`] claims due rows
//! before sending (one conditional UPDATE: `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, the writer lock on SQLite), so several server instances never
//! send the same message twice, and retries with backoff. A message is sent
//! only against a credit of the shopper's consent ([`consent`]).

pub mod consent;
pub mod message;
pub mod outbox;

pub use message::{Kind, Message};
pub use outbox::{enqueue, push_enqueue, send_due, SendReport};
