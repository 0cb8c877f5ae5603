//! `$select`: the properties to return.

use super::error::FilterError;
use super::props::{PROPS, not_found};

/// A parsed `$select`: the properties to return, always including `id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Select {
    props: Vec<&'static str>,
}

impl Select {
    /// Parses a comma-separated list of property names (`*` selects all).
    ///
    /// # Errors
    /// An empty item, or a name that is not a property of `partnerSecurityAlert`.
    pub fn parse(input: &str) -> Result<Select, FilterError> {
        let mut chosen = vec![false; PROPS.len()];
        chosen[0] = true;
        for item in input.split(',') {
            let item = item.trim();
            if item.is_empty() {
                return Err(FilterError::new(
                    "Syntax error: $select holds an empty property name.",
                ));
            }
            if item == "*" {
                chosen.iter_mut().for_each(|c| *c = true);
                continue;
            }
            match PROPS.iter().position(|p| p.name.eq_ignore_ascii_case(item)) {
                Some(i) => chosen[i] = true,
                None => return Err(not_found(item)),
            }
        }
        Ok(Select {
            props: PROPS
                .iter()
                .zip(chosen)
                .filter(|(_, c)| *c)
                .map(|(p, _)| p.name)
                .collect(),
        })
    }

    /// Every property.
    pub fn all() -> Select {
        Select {
            props: PROPS.iter().map(|p| p.name).collect(),
        }
    }

    /// The selected properties' Graph names, in declared order.
    pub fn properties(&self) -> &[&'static str] {
        &self.props
    }

    /// Whether every property is selected.
    pub fn is_all(&self) -> bool {
        self.props.len() == PROPS.len()
    }
}
