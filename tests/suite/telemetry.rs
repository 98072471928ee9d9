//! One trace covers a referral from the caller through bistand into insatser, even though the delivery
//! happens later in bistand's background worker: the trace context is stored with the delivery.

use crate::common;

use opentelemetry_sdk::trace::InMemorySpanExporterBuilder;
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::Date;
use trappan_platform::auth::Role;
use trappan_platform::testing::Backend;

#[tokio::test]
async fn one_trace_covers_bistand_to_insatser() {
    let exporter = InMemorySpanExporterBuilder::new().build();
    let settings = trappan_platform::config::Settings::default();
    let guard =
        trappan_platform::telemetry::init_with_span_exporter(&settings.telemetry, "trappan-test", exporter.clone())
            .expect("telemetry");
    let suite = common::TestSuite::spawn(Backend::Sqlite).await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0736aa";
    let with_trace = |message| {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01").parse().expect("ascii"));
        request
    };
    let mut client = suite.bistand(Role::Socialsekreterare, common::KOMMUN);
    let household = common::applicant_household(&mut client, "811218-9876").await;
    let member_id = household.members[0].member_id.clone();
    client
        .record_consent(bistand::RecordConsentRequest {
            request_id: common::new_request_id(),
            consent: Some(bistand::Consent {
                household_id: household.household_id.clone(),
                member_id: member_id.clone(),
                recipient_unit: bistand::RecipientUnit::Arbetsmarknadsenheten as i32,
                scopes: vec![bistand::ConsentScope::Referral as i32],
                given_on: Some(Date { year: 2020, month: 3, day: 2 }),
                ..Default::default()
            }),
        })
        .await
        .expect("consent");
    client
        .create_referral(with_trace(bistand::CreateReferralRequest {
            request_id: common::new_request_id(),
            household_id: household.household_id.clone(),
            member_id,
            reason: "arbetsträning".into(),
        }))
        .await
        .expect("referral");
    suite.wait_for_referral(&household.household_id, bistand::ReferralState::Delivered).await;
    suite.shutdown().await;
    guard.flush();
    let spans = exporter.get_finished_spans().expect("spans");
    let in_trace: Vec<String> = spans
        .iter()
        .filter(|s| s.span_context.trace_id().to_string() == trace_id)
        .map(|s| s.name.to_string())
        .collect();
    assert!(in_trace.iter().any(|n| n == "/trappan.bistand.v1.BistandService/CreateReferral"), "{in_trace:?}");
    assert!(in_trace.iter().any(|n| n == "/trappan.insatser.v1.InsatserService/ReceiveReferral"), "{in_trace:?}");
    let leaked = spans.iter().flat_map(|s| s.attributes.iter()).any(|kv| kv.value.as_str().contains("198112189876"));
    assert!(!leaked, "no identity number in any span attribute");
}
