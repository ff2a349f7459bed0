//! Given/when/then helpers for aggregate tests: the past as events, the command, the expected facts.
//!
//! ```ignore
//! given::<Counter>([Incremented { by: 2 }])
//!     .when(&Increment { by: 3 }, now)
//!     .then_expect([Incremented { by: 3 }]);
//! ```

use std::fmt::Debug;

use chrono::{DateTime, Utc};

use crate::aggregate::Aggregate;

/// An aggregate state built from past events.
#[derive(Debug)]
pub struct Given<A> {
    state: A,
}

/// Starts a scenario from these past events.
pub fn given<A: Aggregate>(events: impl IntoIterator<Item = A::Event>) -> Given<A> {
    let state = events.into_iter().fold(A::default(), |state, event| state.apply(&event));
    Given { state }
}

impl<A: Aggregate> Given<A> {
    /// Decides the command at `now`.
    pub fn when(self, command: &A::Command, now: DateTime<Utc>) -> Then<A> {
        let result = self.state.decide(command, now);
        Then { state: self.state, result }
    }
}

/// The outcome of a decision, to assert on.
#[derive(Debug)]
pub struct Then<A: Aggregate> {
    state: A,
    result: Result<Vec<A::Event>, A::Rejection>,
}

impl<A: Aggregate> Then<A>
where
    A::Event: PartialEq + Debug,
    A::Rejection: Debug,
{
    /// Asserts the command produced exactly these events, and returns the state after applying them.
    #[track_caller]
    pub fn then_expect(self, expected: impl IntoIterator<Item = A::Event>) -> A {
        let expected: Vec<_> = expected.into_iter().collect();
        match self.result {
            Ok(events) => {
                assert_eq!(events, expected, "the command produced other events than expected");
                events.iter().fold(self.state, |state, event| state.apply(event))
            }
            Err(rejection) => panic!("expected events {expected:?}, the command was rejected: {rejection:?}"),
        }
    }

    /// Asserts the command was rejected and that the rejection satisfies `check`.
    #[track_caller]
    pub fn then_reject(self, check: impl FnOnce(&A::Rejection) -> bool) {
        match self.result {
            Ok(events) => panic!("expected a rejection, the command produced {events:?}"),
            Err(rejection) => assert!(check(&rejection), "unexpected rejection: {rejection:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use uuid::Uuid;

    use super::*;
    use crate::{DomainEvent, Metadata, RecordedEvent, load};

    #[derive(Debug, Default)]
    struct Counter {
        total: u32,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", content = "data")]
    enum CounterEvent {
        Incremented { by: u32 },
    }

    impl DomainEvent for CounterEvent {
        fn schema_version(_: &str) -> i32 {
            2
        }
        // Version 1 stored the amount as "amount"; version 2 calls it "by".
        fn upcast(t: &str, v: i32, mut data: serde_json::Value) -> Result<serde_json::Value, crate::UpcastError> {
            if v == 1 {
                let amount = data["amount"].take();
                data = serde_json::json!({ "by": amount });
            }
            let _ = t;
            Ok(data)
        }
    }

    #[derive(Debug, PartialEq, thiserror::Error)]
    #[error("the counter would pass 10")]
    struct TooMuch;

    impl Aggregate for Counter {
        const CATEGORY: &'static str = "counter";
        type Command = u32;
        type Event = CounterEvent;
        type Rejection = TooMuch;
        fn apply(self, CounterEvent::Incremented { by }: &CounterEvent) -> Self {
            Self { total: self.total + by }
        }
        fn decide(&self, by: &u32, _now: DateTime<Utc>) -> Result<Vec<CounterEvent>, TooMuch> {
            if self.total + by > 10 { Err(TooMuch) } else { Ok(vec![CounterEvent::Incremented { by: *by }]) }
        }
    }

    #[test]
    fn a_command_within_the_rule_produces_its_event() {
        let state = given::<Counter>([CounterEvent::Incremented { by: 2 }])
            .when(&3, Utc::now())
            .then_expect([CounterEvent::Incremented { by: 3 }]);
        assert_eq!(state.total, 5);
    }

    #[test]
    fn a_command_breaking_the_rule_is_rejected() {
        given::<Counter>([CounterEvent::Incremented { by: 9 }]).when(&2, Utc::now()).then_reject(|r| *r == TooMuch);
    }

    #[test]
    fn old_schema_versions_are_upcast_when_loaded() {
        let recorded = |version, schema_version, data| RecordedEvent {
            position: version,
            event_id: Uuid::now_v7(),
            stream: Counter::stream(Uuid::nil()),
            version,
            event_type: "Incremented".into(),
            schema_version,
            data,
            metadata: Metadata::default(),
            recorded_at: Utc::now(),
            chain: vec![],
        };
        let events = [recorded(1, 1, serde_json::json!({"amount": 4})), recorded(2, 2, serde_json::json!({"by": 1}))];
        let (state, version) = load::<Counter>(&events).unwrap();
        assert_eq!((state.total, version), (5, 2));
        let new = CounterEvent::Incremented { by: 1 }.to_new_event(Metadata::default());
        assert_eq!((new.event_type.as_str(), new.schema_version), ("Incremented", 2));
    }

    #[test]
    fn newer_schema_versions_than_known_are_an_error() {
        let err = CounterEvent::from_recorded(&RecordedEvent {
            position: 1,
            event_id: Uuid::now_v7(),
            stream: Counter::stream(Uuid::nil()),
            version: 1,
            event_type: "Incremented".into(),
            schema_version: 3,
            data: serde_json::json!({"by": 1}),
            metadata: Metadata::default(),
            recorded_at: Utc::now(),
            chain: vec![],
        });
        assert!(err.is_err());
    }
}
