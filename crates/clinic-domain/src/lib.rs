//! The clinic's rules, free of I/O: who may book what, when a slot exists, what a
//! patient is told and when. Adapters fill the ports in [`ports`]; the server wires them.

#[macro_use]
mod named;

pub mod admin;
pub mod appointment;
pub mod appointment_moves;
pub mod booking;
pub mod booking_record;
pub mod clinic;
pub mod closure;
pub mod closures;
pub mod delivery;
pub mod doctor;
pub mod doctor_day;
pub mod events;
pub mod gateway;
pub mod ids;
pub mod inbound;
pub mod message;
pub mod notification;
pub mod outbox;
pub mod patient;
pub mod patient_records;
pub mod patient_search;
pub mod phone;
pub mod ports;
pub mod profile;
pub mod queue;
pub mod reminder;
pub mod reminders;
pub mod replies;
pub mod schedule;
pub mod sign_in;
pub mod sign_in_code;
pub mod validation;
pub mod walk_ins;

/// The module graph is layered: entities at the bottom, ports above them, services on
/// top; no module imports one above it, and nothing imports in a circle.
#[cfg(test)]
mod layers {
    const ENTITIES: &[&str] = &[
        "appointment",
        "booking_record",
        "clinic",
        "closure",
        "delivery",
        "doctor",
        "doctor_day",
        "gateway",
        "ids",
        "inbound",
        "message",
        "notification",
        "patient",
        "patient_search",
        "phone",
        "queue",
        "reminder",
        "schedule",
        "sign_in_code",
        "validation",
    ];
    const PORTS: &str = "ports";
    const SERVICES: &[&str] = &[
        "admin",
        "appointment_moves",
        "booking",
        "closures",
        "events",
        "outbox",
        "patient_records",
        "profile",
        "reminders",
        "replies",
        "walk_ins",
        "sign_in",
    ];

    /// Each module's source (tests apart: they may reach anywhere).
    fn sources() -> Vec<(&'static str, &'static str)> {
        vec![
            ("admin", include_str!("admin.rs")),
            ("appointment", include_str!("appointment.rs")),
            ("appointment_moves", include_str!("appointment_moves.rs")),
            ("booking", include_str!("booking.rs")),
            ("booking_record", include_str!("booking_record.rs")),
            ("clinic", include_str!("clinic.rs")),
            ("closure", include_str!("closure.rs")),
            ("closures", include_str!("closures.rs")),
            ("delivery", include_str!("delivery.rs")),
            ("doctor", include_str!("doctor.rs")),
            ("doctor_day", include_str!("doctor_day.rs")),
            ("events", include_str!("events.rs")),
            ("gateway", include_str!("gateway.rs")),
            ("ids", include_str!("ids.rs")),
            ("inbound", include_str!("inbound.rs")),
            ("message", include_str!("message.rs")),
            ("notification", include_str!("notification.rs")),
            ("outbox", include_str!("outbox.rs")),
            ("patient", include_str!("patient.rs")),
            ("patient_records", include_str!("patient_records.rs")),
            ("patient_search", include_str!("patient_search.rs")),
            ("phone", include_str!("phone.rs")),
            ("ports", include_str!("ports.rs")),
            ("profile", include_str!("profile.rs")),
            ("queue", include_str!("queue.rs")),
            ("reminder", include_str!("reminder.rs")),
            ("reminders", include_str!("reminders.rs")),
            ("replies", include_str!("replies.rs")),
            ("schedule", include_str!("schedule.rs")),
            ("sign_in", include_str!("sign_in.rs")),
            ("sign_in_code", include_str!("sign_in_code.rs")),
            ("validation", include_str!("validation.rs")),
            ("walk_ins", include_str!("walk_ins.rs")),
        ]
    }

    fn imports(source: &str) -> Vec<String> {
        let code = source.split("#[cfg(test)]").next().unwrap_or(source);
        let mut found: Vec<String> = code
            .match_indices("crate::")
            .map(|(at, _)| {
                code[at + 7..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect()
            })
            .collect();
        found.sort();
        found.dedup();
        found
    }

    fn layer(module: &str) -> usize {
        if ENTITIES.contains(&module) {
            0
        } else if module == PORTS {
            1
        } else {
            assert!(SERVICES.contains(&module), "{module} is in no layer: add it to one");
            2
        }
    }

    #[test]
    fn no_module_imports_one_above_it_or_in_a_circle() {
        let graph: Vec<(&str, Vec<String>)> = sources().into_iter().map(|(m, s)| (m, imports(s))).collect();
        for (module, used) in &graph {
            for other in used {
                assert!(layer(other) <= layer(module), "{module} imports {other}, a layer above it");
            }
        }
        // Within a layer, a depth-first walk finds no way back.
        fn visit<'a>(m: &'a str, graph: &'a [(&str, Vec<String>)], path: &mut Vec<&'a str>) {
            assert!(!path.contains(&m), "a circle: {path:?} -> {m}");
            path.push(m);
            if let Some((_, used)) = graph.iter().find(|(name, _)| *name == m) {
                for other in used {
                    visit(other, graph, path);
                }
            }
            path.pop();
        }
        for (module, _) in &graph {
            visit(module, &graph, &mut Vec::new());
        }
    }
}
