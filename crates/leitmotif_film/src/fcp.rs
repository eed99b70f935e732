//! FCP XML.
use std::path::Path;

use crate::{CutList, ParseError, ParseOptions};

pub(crate) fn parse(
    _bytes: &[u8],
    _path: Option<&Path>,
    _opts: &ParseOptions,
) -> Result<CutList, ParseError> {
    todo!()
}
