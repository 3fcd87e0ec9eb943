//! Members: users (sessions, growth, points), their addresses, the console's
//! member list (roster).

pub mod addresses;
pub mod roster;
pub mod users;
