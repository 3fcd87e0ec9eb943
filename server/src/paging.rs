//! One page of a list: which rows to read and how the answer reports them.
//! Built only through `http::input::paging`, whose bounds keep the offset
//! arithmetic far from overflow.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub page_size: i64,
}

impl Paging {
    /// The first page of `page_size` rows (internal lists such as the home page's).
    pub fn first(page_size: i64) -> Paging {
        Paging { page: 1, page_size }
    }

    /// Rows to skip.
    pub fn offset(&self) -> i64 {
        self.page.saturating_sub(1).saturating_mul(self.page_size)
    }

    pub fn has_more(&self, total: i64) -> bool {
        self.page.saturating_mul(self.page_size) < total
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub page_size: i64,
    pub total: i64,
    pub has_more: bool,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, paging: Paging, total: i64) -> Page<T> {
        Page {
            items,
            page: paging.page,
            page_size: paging.page_size,
            total,
            has_more: paging.has_more(total),
        }
    }
}
