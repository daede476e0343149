//! A JSON object that keeps its fields in the order written, so generated payloads read like the
//! sender documents they imitate (`serde_json::Value` sorts keys).

use serde::ser::{Serialize, SerializeMap as _, SerializeSeq as _, Serializer};
use serde_json::Value;

/// An object whose fields serialize in insertion order.
#[derive(Debug, Clone, PartialEq)]
pub struct Obj(pub Vec<(&'static str, Field)>);

/// A field's value: plain JSON, a nested ordered object, or a list of them.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// Any JSON value (strings, numbers, `null`, ...).
    Json(Value),
    /// A nested object, in order.
    Obj(Obj),
    /// A list of objects, each in order.
    List(Vec<Obj>),
}

impl Obj {
    /// The field's names, in order.
    #[cfg(test)]
    pub fn keys(&self) -> Vec<&'static str> {
        self.0.iter().map(|(name, _)| *name).collect()
    }

    /// Appends a field.
    pub fn push(&mut self, name: &'static str, value: impl Into<Field>) {
        self.0.push((name, value.into()));
    }
}

/// `obj! { "id" => id, "status" => "active" }`: an [`Obj`] with fields in that order.
macro_rules! obj {
    ($($name:literal => $value:expr),* $(,)?) => {
        $crate::ordered::Obj(vec![$(($name, $crate::ordered::Field::from($value))),*])
    };
}
pub(crate) use obj;

impl From<Value> for Field {
    fn from(value: Value) -> Self {
        Self::Json(value)
    }
}

impl From<Obj> for Field {
    fn from(value: Obj) -> Self {
        Self::Obj(value)
    }
}

impl From<Option<Obj>> for Field {
    fn from(value: Option<Obj>) -> Self {
        value.map_or(Self::Json(Value::Null), Self::Obj)
    }
}

impl From<Vec<Obj>> for Field {
    fn from(value: Vec<Obj>) -> Self {
        Self::List(value)
    }
}

impl From<&str> for Field {
    fn from(value: &str) -> Self {
        Self::Json(Value::from(value))
    }
}

impl From<&String> for Field {
    fn from(value: &String) -> Self {
        Self::Json(Value::from(value.as_str()))
    }
}

impl From<String> for Field {
    fn from(value: String) -> Self {
        Self::Json(Value::from(value))
    }
}

impl From<f64> for Field {
    fn from(value: f64) -> Self {
        Self::Json(Value::from(value))
    }
}

impl From<u32> for Field {
    fn from(value: u32) -> Self {
        Self::Json(Value::from(value))
    }
}

impl Serialize for Obj {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Json(value) => value.serialize(serializer),
            Self::Obj(obj) => obj.serialize(serializer),
            Self::List(list) => {
                let mut seq = serializer.serialize_seq(Some(list.len()))?;
                for obj in list {
                    seq.serialize_element(obj)?;
                }
                seq.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_serialize_in_the_order_written() {
        let inner = obj! { "z" => "last-letter", "a" => 1u32 };
        let outer = obj! {
            "zeta" => inner.clone(),
            "alpha" => vec![inner],
            "none" => None::<Obj>,
            "pi" => 3.5,
        };
        assert_eq!(
            serde_json::to_string(&outer).unwrap(),
            r#"{"zeta":{"z":"last-letter","a":1},"alpha":[{"z":"last-letter","a":1}],"none":null,"pi":3.5}"#
        );
    }
}
