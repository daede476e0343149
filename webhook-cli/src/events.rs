//! Realistic payloads for the event types of the seed sender documents, with fresh ids and the
//! current time, in either of their two envelopes:
//!
//! - `object` (`resource.*` by default): `{"id": "evt_...", "type", "created_at",
//!   "data": {"object": {...}}, "previous_data"}`, `previous_data` holding the old values on
//!   `*.updated` and `null` otherwise;
//! - `flat` (`user.*`, `order.*`, `payment.*` by default): `{"event", "timestamp", "data": {...}}`,
//!   with `data.changes` listing the changed fields on `*.updated`.

use clap::ValueEnum;
use serde_json::{Value, json};

use crate::error::CliError;
use crate::ids;
use crate::ordered::{Obj, obj};

/// An event type from the seed documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EventType {
    /// A resource was created.
    #[value(name = "resource.created")]
    ResourceCreated,
    /// A resource was updated (`previous_data` holds the old name).
    #[value(name = "resource.updated")]
    ResourceUpdated,
    /// A resource was deleted.
    #[value(name = "resource.deleted")]
    ResourceDeleted,
    /// A user registered.
    #[value(name = "user.created")]
    UserCreated,
    /// A user changed their email.
    #[value(name = "user.updated")]
    UserUpdated,
    /// A user account was deleted.
    #[value(name = "user.deleted")]
    UserDeleted,
    /// An order was placed.
    #[value(name = "order.created")]
    OrderCreated,
    /// An order was completed.
    #[value(name = "order.completed")]
    OrderCompleted,
    /// An order was cancelled.
    #[value(name = "order.cancelled")]
    OrderCancelled,
    /// A payment went through.
    #[value(name = "payment.succeeded")]
    PaymentSucceeded,
    /// A payment failed.
    #[value(name = "payment.failed")]
    PaymentFailed,
}

/// Which of the seed documents' two payload shapes to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Envelope {
    /// `object` for `resource.*`, `flat` for the others, as the seed documents do.
    #[default]
    Auto,
    /// `{id: "evt_...", type, created_at, data: {object}, previous_data}`.
    Object,
    /// `{event, timestamp, data}`.
    Flat,
}

impl EventType {
    /// The event's name, e.g. `order.completed`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ResourceCreated => "resource.created",
            Self::ResourceUpdated => "resource.updated",
            Self::ResourceDeleted => "resource.deleted",
            Self::UserCreated => "user.created",
            Self::UserUpdated => "user.updated",
            Self::UserDeleted => "user.deleted",
            Self::OrderCreated => "order.created",
            Self::OrderCompleted => "order.completed",
            Self::OrderCancelled => "order.cancelled",
            Self::PaymentSucceeded => "payment.succeeded",
            Self::PaymentFailed => "payment.failed",
        }
    }

    /// The envelope `auto` picks: `object` for `resource.*`, `flat` for the others.
    fn envelope(self, chosen: Envelope) -> Envelope {
        match chosen {
            Envelope::Auto if self.name().starts_with("resource.") => Envelope::Object,
            Envelope::Auto => Envelope::Flat,
            chosen => chosen,
        }
    }

    /// The event's object, and the old values of what changed (for `*.updated`).
    fn object(self, at: &str) -> (Obj, Option<Obj>) {
        let user = ids::fresh("user");
        let order = ids::fresh("order");
        let payment = ids::fresh("payment");
        let resource = ids::fresh("res");
        match self {
            Self::ResourceCreated => (
                obj! { "id" => resource, "name" => "New Resource", "status" => "active" },
                None,
            ),
            Self::ResourceUpdated => (
                obj! { "id" => resource, "name" => "Updated Resource", "status" => "active" },
                Some(obj! { "name" => "Old Resource Name" }),
            ),
            Self::ResourceDeleted => (
                obj! { "id" => resource, "name" => "Old Resource", "status" => "deleted" },
                None,
            ),
            Self::UserCreated => (
                obj! {
                    "id" => user, "username" => "john_doe", "email" => "john@example.com",
                    "status" => "active", "created_at" => at,
                },
                None,
            ),
            Self::UserUpdated => (
                obj! {
                    "id" => user, "username" => "john_doe", "email" => "john.doe@example.com",
                    "status" => "active", "updated_at" => at,
                },
                Some(obj! { "email" => "john@example.com" }),
            ),
            Self::UserDeleted => (
                obj! { "id" => user, "username" => "john_doe", "deleted_at" => at },
                None,
            ),
            Self::OrderCreated => (
                obj! {
                    "id" => order, "user_id" => user, "status" => "pending",
                    "total" => 99.99, "currency" => "USD",
                    "items" => vec![obj! {
                        "id" => ids::fresh("item"), "name" => "Product Name",
                        "quantity" => 2u32, "price" => 49.99,
                    }],
                    "created_at" => at,
                },
                None,
            ),
            Self::OrderCompleted => (
                obj! {
                    "id" => order, "user_id" => user, "status" => "completed",
                    "total" => 99.99, "currency" => "USD", "completed_at" => at,
                },
                None,
            ),
            Self::OrderCancelled => (
                obj! {
                    "id" => order, "user_id" => user, "status" => "cancelled",
                    "reason" => "customer_request", "cancelled_at" => at,
                },
                None,
            ),
            Self::PaymentSucceeded => (
                obj! {
                    "id" => payment, "order_id" => order, "amount" => 99.99, "currency" => "USD",
                    "method" => "credit_card", "status" => "succeeded", "processed_at" => at,
                },
                None,
            ),
            Self::PaymentFailed => (
                obj! {
                    "id" => payment, "order_id" => order, "amount" => 99.99, "currency" => "USD",
                    "method" => "credit_card", "status" => "failed",
                    "error_code" => "insufficient_funds",
                    "error_message" => "Your card has insufficient funds.",
                    "failed_at" => at,
                },
                None,
            ),
        }
    }
}

/// The payload of a fresh `event` happening at Unix time `now`, in the chosen envelope, with
/// its fields in the order the seed documents show them.
pub fn payload(event: EventType, envelope: Envelope, now: i64) -> Result<Obj, CliError> {
    let at = ids::rfc3339(now)?;
    let (object, previous) = event.object(&at);
    Ok(match event.envelope(envelope) {
        Envelope::Flat => {
            let mut data = object;
            if let Some(previous) = &previous {
                let changes: Vec<Value> = previous.0.iter().map(|(name, _)| json!(name)).collect();
                data.push("changes", Value::Array(changes));
            }
            obj! { "event" => event.name(), "timestamp" => &at, "data" => data }
        }
        Envelope::Object | Envelope::Auto => obj! {
            "id" => ids::fresh("evt"),
            "type" => event.name(),
            "created_at" => &at,
            "data" => obj! { "object" => object },
            "previous_data" => previous,
        },
    })
}

/// The payload's bytes, exactly as `send` sends them (compact JSON).
pub fn payload_bytes(event: EventType, envelope: Envelope, now: i64) -> Result<Vec<u8>, CliError> {
    serde_json::to_vec(&payload(event, envelope, now)?)
        .map_err(|err| CliError::Failed(format!("error: cannot encode the payload: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_739_874_600; // 2025-02-18T10:30:00Z

    fn payload(event: EventType, envelope: Envelope, now: i64) -> Result<Value, CliError> {
        Ok(serde_json::to_value(super::payload(event, envelope, now)?).unwrap())
    }

    #[test]
    fn fields_come_in_the_seed_documents_order() {
        let flat = super::payload(EventType::UserUpdated, Envelope::Auto, NOW).unwrap();
        assert_eq!(flat.keys(), ["event", "timestamp", "data"]);
        let object = super::payload(EventType::ResourceCreated, Envelope::Auto, NOW).unwrap();
        assert_eq!(
            object.keys(),
            ["id", "type", "created_at", "data", "previous_data"]
        );
        let bytes =
            String::from_utf8(payload_bytes(EventType::UserUpdated, Envelope::Auto, NOW).unwrap())
                .unwrap();
        assert!(
            bytes.starts_with(
                r#"{"event":"user.updated","timestamp":"2025-02-18T10:30:00Z","data":{"id":"user_"#
            ),
            "{bytes}"
        );
        assert!(
            bytes.ends_with(r#""updated_at":"2025-02-18T10:30:00Z","changes":["email"]}}"#),
            "{bytes}"
        );
    }

    fn all() -> impl Iterator<Item = EventType> {
        EventType::value_variants().iter().copied()
    }

    #[test]
    fn names_on_the_command_line_are_the_event_names() {
        for event in all() {
            let value = event.to_possible_value().unwrap();
            assert_eq!(value.get_name(), event.name());
        }
        assert_eq!(EventType::value_variants().len(), 11);
    }

    #[test]
    fn resource_events_use_the_object_envelope_by_default() {
        let p = payload(EventType::ResourceUpdated, Envelope::Auto, NOW).unwrap();
        assert!(p["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(p["type"], "resource.updated");
        assert_eq!(p["created_at"], "2025-02-18T10:30:00Z");
        assert!(
            p["data"]["object"]["id"]
                .as_str()
                .unwrap()
                .starts_with("res_")
        );
        assert_eq!(p["previous_data"]["name"], "Old Resource Name");
        let created = payload(EventType::ResourceCreated, Envelope::Auto, NOW).unwrap();
        assert!(created["previous_data"].is_null());
        assert!(created.get("previous_data").is_some());
    }

    #[test]
    fn other_events_use_the_flat_envelope_by_default() {
        for event in all().filter(|e| !e.name().starts_with("resource.")) {
            let p = payload(event, Envelope::Auto, NOW).unwrap();
            let mut keys: Vec<&String> = p.as_object().unwrap().keys().collect();
            keys.sort();
            assert_eq!(keys, ["data", "event", "timestamp"], "{}", event.name());
            assert_eq!(p["event"], event.name());
            assert_eq!(p["timestamp"], "2025-02-18T10:30:00Z");
            let prefix = format!("{}_", event.name().split('.').next().unwrap());
            assert!(
                p["data"]["id"].as_str().unwrap().starts_with(&prefix),
                "{p}"
            );
        }
    }

    #[test]
    fn envelope_can_be_forced_either_way() {
        let p = payload(EventType::PaymentSucceeded, Envelope::Object, NOW).unwrap();
        assert_eq!(p["type"], "payment.succeeded");
        assert_eq!(p["data"]["object"]["status"], "succeeded");
        let p = payload(EventType::ResourceCreated, Envelope::Flat, NOW).unwrap();
        assert_eq!(p["event"], "resource.created");
        assert_eq!(p["data"]["name"], "New Resource");
    }

    #[test]
    fn updated_events_say_what_changed() {
        let p = payload(EventType::UserUpdated, Envelope::Flat, NOW).unwrap();
        assert_eq!(p["data"]["changes"], json!(["email"]));
        assert_eq!(p["data"]["updated_at"], "2025-02-18T10:30:00Z");
    }

    #[test]
    fn ids_are_fresh_for_every_payload() {
        let a = payload(EventType::OrderCreated, Envelope::Auto, NOW).unwrap();
        let b = payload(EventType::OrderCreated, Envelope::Auto, NOW).unwrap();
        assert_ne!(a["data"]["id"], b["data"]["id"]);
        assert_ne!(a["data"]["items"][0]["id"], b["data"]["items"][0]["id"]);
    }

    #[test]
    fn related_ids_are_consistent_in_shape() {
        let p = payload(EventType::PaymentFailed, Envelope::Auto, NOW).unwrap();
        assert!(
            p["data"]["order_id"]
                .as_str()
                .unwrap()
                .starts_with("order_")
        );
        assert_eq!(p["data"]["error_code"], "insufficient_funds");
    }
}
