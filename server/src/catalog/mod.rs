//! The catalog: categories, products and SKUs, activities, banners, search,
//! and the pricing input the core quotes ([`pricing`]).

pub mod manage;
pub mod pricing;
pub mod shop;
pub mod store;
pub mod suggest;

pub use store::*;
