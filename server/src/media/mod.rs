//! Product images: an upload is accepted only when its bytes decode as a PNG,
//! JPEG, GIF or WebP image (the content decides, never the file name or the
//! declared type), within [`MAX_BYTES`] and [`MAX_SIDE`]; a thumbnail is made
//! ([`THUMB_SIDE`] on the long side). Files are named by the SHA-256 of their
//! content, so a name never changes meaning and is served with a year's
//! cache. Storage is behind [`MediaStore`]: a local directory by default; an
//! object store with a CDN in front implements the same three calls.

use std::io::Cursor;
use std::path::PathBuf;

use image::{ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// Largest upload.
pub const MAX_BYTES: usize = 5 << 20;
/// Largest width or height.
pub const MAX_SIDE: u32 = 8000;
/// The thumbnail's long side.
pub const THUMB_SIDE: u32 = 320;

/// Where media live.
pub trait MediaStore: Send + Sync {
    /// Store `bytes` under `name` (a content-derived name: storing it twice is harmless).
    fn put(&self, name: &str, bytes: &[u8]) -> anyhow::Result<()>;
    /// The stored bytes, if any.
    fn get(&self, name: &str) -> anyhow::Result<Option<Vec<u8>>>;
    /// The URL a browser or the mini-program loads it from.
    fn url(&self, name: &str) -> String;
}

/// A directory on this server, served at `/uploads/`.
pub struct LocalStore {
    pub dir: PathBuf,
}

impl MediaStore for LocalStore {
    fn put(&self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(name);
        if path.exists() {
            return Ok(());
        }
        // Written whole under a temporary name, then renamed: a reader never
        // sees half a file.
        let tmp = self.dir.join(format!(".{name}.{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    fn get(&self, name: &str) -> anyhow::Result<Option<Vec<u8>>> {
        if !valid_name(name) {
            return Ok(None);
        }
        match std::fs::read(self.dir.join(name)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn url(&self, name: &str) -> String {
        format!("/uploads/{name}")
    }
}

/// A stored media name: 64 hex digits, optionally `-320`, and an image extension.
pub fn valid_name(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let hash = stem.strip_suffix(&format!("-{THUMB_SIDE}")).unwrap_or(stem);
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && ["png", "jpg", "gif", "webp"].contains(&ext)
}

/// The content type of a stored name.
pub fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        _ => "application/octet-stream",
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    #[error("over {MAX_BYTES} bytes")]
    TooLarge,
    #[error("not an image: {0}")]
    NotImage(String),
    #[error("{0}")]
    Other(String),
}

#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Stored {
    pub url: String,
    pub thumb_url: String,
    pub width: u32,
    pub height: u32,
    pub content_type: &'static str,
}

/// The image's format from its first bytes (PNG, JPEG, GIF, WebP only).
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    match bytes {
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(ImageFormat::Png),
        [0xFF, 0xD8, 0xFF, ..] => Some(ImageFormat::Jpeg),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(ImageFormat::Gif),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// Check, decode, thumbnail and store an upload (CPU-bound: call it from a
/// blocking task).
pub fn store_image(store: &dyn MediaStore, bytes: &[u8]) -> Result<Stored, MediaError> {
    if bytes.len() > MAX_BYTES {
        return Err(MediaError::TooLarge);
    }
    let format =
        sniff(bytes).ok_or_else(|| MediaError::NotImage("PNG, JPEG, GIF or WebP only".into()))?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(256 << 20);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| MediaError::NotImage(e.to_string()))?;
    let (ext, thumb_format, thumb_ext) = match format {
        ImageFormat::Png => ("png", ImageFormat::Png, "png"),
        ImageFormat::Jpeg => ("jpg", ImageFormat::Jpeg, "jpg"),
        ImageFormat::Gif => ("gif", ImageFormat::Png, "png"),
        _ => ("webp", ImageFormat::Png, "png"),
    };
    let hash = hex(&Sha256::digest(bytes));
    let name = format!("{hash}.{ext}");
    let thumb_name = format!("{hash}-{THUMB_SIDE}.{thumb_ext}");
    let thumb = img.thumbnail(THUMB_SIDE, THUMB_SIDE);
    let thumb = if thumb_format == ImageFormat::Jpeg {
        image::DynamicImage::ImageRgb8(thumb.to_rgb8())
    } else {
        thumb
    };
    let mut out = Cursor::new(Vec::new());
    thumb
        .write_to(&mut out, thumb_format)
        .map_err(|e| MediaError::Other(e.to_string()))?;
    store
        .put(&name, bytes)
        .and_then(|_| store.put(&thumb_name, out.get_ref()))
        .map_err(|e| MediaError::Other(format!("{e:#}")))?;
    Ok(Stored {
        url: store.url(&name),
        thumb_url: store.url(&thumb_name),
        width: img.width(),
        height: img.height(),
        content_type: content_type(&name),
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(w, h, image::Rgba([7, 193, 96, 255]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn store() -> (LocalStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (
            LocalStore {
                dir: dir.path().to_path_buf(),
            },
            dir,
        )
    }

    #[test]
    fn an_image_is_stored_by_its_content_with_a_thumbnail() {
        let (s, _dir) = store();
        let bytes = png(1200, 600);
        let got = store_image(&s, &bytes).unwrap();
        assert_eq!((got.width, got.height), (1200, 600));
        let name = got.url.trim_start_matches("/uploads/");
        assert!(valid_name(name), "{name}");
        assert_eq!(s.get(name).unwrap().unwrap(), bytes);
        let thumb = s
            .get(got.thumb_url.trim_start_matches("/uploads/"))
            .unwrap()
            .unwrap();
        let t = image::load_from_memory(&thumb).unwrap();
        assert_eq!((t.width(), t.height()), (320, 160));
        // The same bytes again: the same names.
        assert_eq!(store_image(&s, &bytes).unwrap(), got);
    }

    #[test]
    fn the_content_decides_and_bounds_hold() {
        let (s, _dir) = store();
        let e = store_image(&s, b"<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap_err();
        assert!(matches!(e, MediaError::NotImage(_)));
        // A PNG signature with garbage after it does not decode.
        let mut fake = png(4, 4);
        fake.truncate(20);
        assert!(matches!(
            store_image(&s, &fake).unwrap_err(),
            MediaError::NotImage(_)
        ));
        assert_eq!(
            store_image(&s, &vec![0; MAX_BYTES + 1]).unwrap_err(),
            MediaError::TooLarge
        );
        // Wider than MAX_SIDE is refused before decoding the pixels.
        let wide = png(MAX_SIDE + 1, 1);
        assert!(matches!(
            store_image(&s, &wide).unwrap_err(),
            MediaError::NotImage(_)
        ));
    }

    #[test]
    fn names_are_checked_before_reading() {
        let h = "a".repeat(64);
        assert!(valid_name(&format!("{h}.png")));
        assert!(valid_name(&format!("{h}-320.jpg")));
        assert!(!valid_name("../secrets.json"));
        assert!(!valid_name(&format!("{h}.svg")));
        assert!(!valid_name(&format!("{}.png", "A".repeat(64))));
    }
}
