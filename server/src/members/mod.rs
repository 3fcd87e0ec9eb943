//! Members: users (sessions, growth, points), their addresses.

pub mod addresses;
pub mod users;
