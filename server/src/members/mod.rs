//! Members: users (sessions, growth, points), their addresses, the console's
//! member list (roster), the short memory of session lookups (sessions).

pub mod addresses;
pub mod roster;
pub mod sessions;
pub mod users;
