//! Ungsam's demo: young people identified by the outreach assignment in 2019–2021 from mixed sources,
//! their contacts and status paths (some still identified, some not reachable, some declining, some in
//! dialogue or an activity, some exited to work or studies, a few handed over to the labour-market
//! unit), and the partner organisations and joint activities of those years. Everyone who has turned 25
//! since is exited as aged out by the service itself.
//!
//! Seeding twice adds nothing: creates carry derived request_ids, and a person's path is only walked when
//! they are still as registered.

use chrono::{Datelike, Days, NaiveDate};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use trappan_api::common::v1::{Date, PersonIdentityNumber};
use trappan_api::ungsam::v1::{self as ungsam, ungsam_service_client::UngsamServiceClient};
use trappan_platform::auth::Role;
use trappan_platform::config::Settings;

use super::{DemoStaff, FAMILY, GIVEN, demo_personnummer, request_id};
use crate::progress::Progress;

/// How many young people the demo registers: about 40 a year, the outreach assignment's target group in a
/// municipality of Markaryd's size.
const PEOPLE: u32 = 120;

/// The demo's client and the coach's authorization.
struct Coach {
    client: UngsamServiceClient<Channel>,
    token: MetadataValue<Ascii>,
}

impl Coach {
    fn request<T>(&self, body: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(body);
        request.metadata_mut().insert("authorization", self.token.clone());
        request
    }
}

fn date(day: NaiveDate) -> Date {
    Date { year: day.year(), month: day.month() as i32, day: day.day() as i32 }
}

fn day(year: i32, month: u32, day: u32) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| anyhow::anyhow!("a demo date exists"))
}

const SOURCES: [ungsam::IdentificationSource; 8] = [
    ungsam::IdentificationSource::ActivityResponsibility,
    ungsam::IdentificationSource::Arbetsformedlingen,
    ungsam::IdentificationSource::School,
    ungsam::IdentificationSource::SocialServices,
    ungsam::IdentificationSource::LeisureCentre,
    ungsam::IdentificationSource::SelfRegistration,
    ungsam::IdentificationSource::PartnerOrganisation,
    ungsam::IdentificationSource::ActivityResponsibility,
];

const CHANNELS: [ungsam::ContactChannel; 6] = [
    ungsam::ContactChannel::Phone,
    ungsam::ContactChannel::TextMessage,
    ungsam::ContactChannel::Letter,
    ungsam::ContactChannel::HomeVisit,
    ungsam::ContactChannel::OutreachOnSite,
    ungsam::ContactChannel::ThroughPartner,
];

/// Seeds partners, activities and young people through ungsam.
pub(super) async fn seed(settings: &Settings, staff: &DemoStaff) -> anyhow::Result<()> {
    let mut coach = Coach {
        client: UngsamServiceClient::connect(settings.peers.ungsam_url.clone()).await?,
        token: staff.token(Role::Ungdomscoach, "ungsam")?,
    };
    seed_partners(&mut coach).await?;
    let progress = Progress::counted("ungsam young people", u64::from(PEOPLE));
    for n in 0..PEOPLE {
        seed_person(&mut coach, n).await?;
        progress.inc();
    }
    progress.finish();
    // Identified years ago: many have turned 25 since. The service exits them by itself every few hours;
    // the demo does not wait for that.
    let request = coach.request(ungsam::ExitAgedOutRequest {});
    coach.client.exit_aged_out(request).await?;
    Ok(())
}

async fn seed_partners(coach: &mut Coach) -> anyhow::Result<()> {
    let partners = [
        ("Gymnasieskolan", ungsam::PartnerKind::School),
        ("Fritidsgården Centrum", ungsam::PartnerKind::LeisureCentre),
        ("Svenska kyrkan", ungsam::PartnerKind::ChurchOfSweden),
        ("IFO, individ- och familjeomsorgen", ungsam::PartnerKind::Ifo),
        ("Linnéuniversitetet", ungsam::PartnerKind::University),
    ];
    let mut ids = Vec::new();
    for (name, kind) in partners {
        let request = coach.request(ungsam::CreatePartnerRequest {
            request_id: request_id(&format!("ungsam-partner-{name}")),
            partner: Some(ungsam::Partner { name: name.into(), kind: kind as i32, ..Default::default() }),
        });
        let partner = coach.client.create_partner(request).await?.into_inner().partner;
        ids.push(partner.map(|p| p.partner_id).unwrap_or_default());
    }
    let activities = [
        (
            ungsam::JointActivityKind::Meeting,
            "Samverkansmöte om unga som saknar sysselsättning",
            2019,
            3,
            14,
            9,
            &[0, 3][..],
        ),
        (ungsam::JointActivityKind::Dialogue, "Dialogkväll på fritidsgården", 2019, 10, 2, 23, &[1][..]),
        (ungsam::JointActivityKind::Webinar, "Webbinarium: vägar till studier", 2020, 4, 22, 41, &[0, 4][..]),
        (
            ungsam::JointActivityKind::Meeting,
            "Uppsökande kväll med kyrkans ungdomsverksamhet",
            2020,
            9,
            17,
            15,
            &[2][..],
        ),
        (ungsam::JointActivityKind::Dialogue, "Sommarjobb och praktik", 2021, 5, 6, 28, &[1, 2, 3][..]),
        (
            ungsam::JointActivityKind::Meeting,
            "Planering av höstens uppsökande arbete",
            2021,
            11,
            25,
            0,
            &[0, 1, 2, 3][..],
        ),
    ];
    for (kind, title, year, month, dom, count, partners) in activities {
        let on = day(year, month, dom)?;
        let request = coach.request(ungsam::CreateJointActivityRequest {
            request_id: request_id(&format!("ungsam-activity-{title}")),
            joint_activity: Some(ungsam::JointActivity {
                kind: kind as i32,
                title: title.into(),
                partner_ids: partners.iter().map(|index: &usize| ids[*index].clone()).collect(),
                planned_on: Some(date(on)),
                completed_on: (count > 0).then(|| date(on)),
                participant_count: count,
                ..Default::default()
            }),
        });
        coach.client.create_joint_activity(request).await?;
    }
    Ok(())
}

/// What happens to a demo person after identification.
#[derive(Clone, Copy)]
enum Path {
    NotYetContacted,
    NotReachable,
    Declined,
    Contacted,
    InDialogue,
    ExitedToStudies,
    ExitedToWork,
    HandedOver,
}

/// The paths in turn: Ungsam reaches 18 of every 20 it identifies (declining is being reached), one is
/// never reached and one not yet contacted. 20 and the three years of identification have no common
/// factor, so every year gets the whole mix.
const PATHS: [Path; 20] = [
    Path::Contacted,
    Path::InDialogue,
    Path::ExitedToStudies,
    Path::HandedOver,
    Path::ExitedToWork,
    Path::NotReachable,
    Path::InDialogue,
    Path::Contacted,
    Path::ExitedToStudies,
    Path::Declined,
    Path::ExitedToWork,
    Path::InDialogue,
    Path::HandedOver,
    Path::Contacted,
    Path::NotYetContacted,
    Path::ExitedToStudies,
    Path::InDialogue,
    Path::ExitedToWork,
    Path::Contacted,
    Path::HandedOver,
];

async fn seed_person(coach: &mut Coach, n: u32) -> anyhow::Result<()> {
    // Identified spread over 2019–2021, aged 18–23 then; those of 2021 were 18–19, so they are still in
    // the target group in 2026.
    let identified = day(2019 + (n % 3) as i32, 1 + (n * 5) % 12, 1 + (n * 7) % 27)?;
    let age = if n % 3 == 2 { 18 } else { 18 + n % 6 };
    let birth = day(identified.year() - age as i32 - 1, 1 + (n * 3) % 12, 1 + (n * 11) % 28)?;
    let request = coach.request(ungsam::CreateYoungPersonRequest {
        request_id: request_id(&format!("ungsam-young-person-{n}")),
        young_person: Some(ungsam::YoungPerson {
            person_identity_number: Some(PersonIdentityNumber {
                value: demo_personnummer(birth.year(), birth.month(), birth.day(), 400 + n),
            }),
            given_name: GIVEN[(n as usize + 5) % GIVEN.len()].into(),
            family_name: FAMILY[n as usize % FAMILY.len()].into(),
            source: SOURCES[n as usize % SOURCES.len()] as i32,
            identified_on: Some(date(identified)),
            contact_channel: CHANNELS[n as usize % CHANNELS.len()] as i32,
            ..Default::default()
        }),
    });
    let Some(person) = coach.client.create_young_person(request).await?.into_inner().young_person else {
        return Ok(());
    };
    if person.status_history.len() > 1 || person.status != ungsam::YoungPersonStatus::Identified as i32 {
        // Seeded before (or aged out since): its path is walked already.
        return Ok(());
    }
    let id = person.young_person_id;
    let path = PATHS[n as usize % PATHS.len()];
    let mut on = identified;
    let mut step = 0;
    let mut next_day = |days: u64| {
        on = on + Days::new(days);
        on
    };
    let mut contact = |coach: &mut Coach, on: NaiveDate, outcome: ungsam::ContactOutcome| {
        step += 1;
        coach.request(ungsam::RecordContactRequest {
            request_id: request_id(&format!("ungsam-contact-{n}-{step}")),
            contact: Some(ungsam::Contact {
                young_person_id: id.clone(),
                contacted_on: Some(date(on)),
                channel: CHANNELS[(n + step) as usize % CHANNELS.len()] as i32,
                made_by: "Ungdomscoach Demo".into(),
                outcome: outcome as i32,
                note: String::new(),
                ..Default::default()
            }),
        })
    };
    use ungsam::ContactOutcome as O;
    use ungsam::YoungPersonStatus as S;
    match path {
        Path::NotYetContacted => return Ok(()),
        Path::NotReachable => {
            for days in [6, 14, 21] {
                let request = contact(coach, next_day(days), O::NotReached);
                coach.client.record_contact(request).await?;
            }
            return Ok(());
        }
        Path::Declined => {
            let request = contact(coach, next_day(9), O::Declined);
            coach.client.record_contact(request).await?;
            return Ok(());
        }
        _ => {
            let request = contact(coach, next_day(3 + u64::from(n % 10)), O::NotReached);
            coach.client.record_contact(request).await?;
            let request = contact(coach, next_day(4), O::Reached);
            coach.client.record_contact(request).await?;
        }
    }
    if matches!(path, Path::Contacted) {
        return Ok(());
    }
    let change = |coach: &Coach, status: S, on: NaiveDate| {
        coach.request(ungsam::ChangeStatusRequest {
            young_person_id: id.clone(),
            status: status as i32,
            changed_on: Some(date(on)),
            exit_outcome: 0,
        })
    };
    let request = change(coach, S::InDialogue, next_day(7));
    coach.client.change_status(request).await?;
    let consent = |coach: &Coach, scope: ungsam::ConsentScope, on: NaiveDate| {
        coach.request(ungsam::RecordConsentRequest {
            young_person_id: id.clone(),
            scope: scope as i32,
            given_on: Some(date(on)),
        })
    };
    let consented_on = next_day(0);
    for scope in [ungsam::ConsentScope::Needs, ungsam::ConsentScope::Plans] {
        let request = consent(coach, scope, consented_on);
        coach.client.record_consent(request).await?;
    }
    let request = coach.request(ungsam::UpdateSupportDetailsRequest {
        young_person_id: id.clone(),
        needs: "Saknar gymnasieexamen; vill ha stöd att hitta en väg till arbete eller studier.".into(),
        plan: "Träffar coach varannan vecka; studiebesök på komvux och arbetsträning.".into(),
    });
    coach.client.update_support_details(request).await?;
    match path {
        Path::ExitedToStudies | Path::ExitedToWork => {
            let request = change(coach, S::InActivity, next_day(21));
            coach.client.change_status(request).await?;
            let exit = if matches!(path, Path::ExitedToStudies) { S::ExitedStudies } else { S::ExitedWork };
            let request = change(coach, exit, next_day(90 + u64::from(n % 5) * 20));
            coach.client.change_status(request).await?;
        }
        Path::HandedOver => {
            let request = consent(coach, ungsam::ConsentScope::Handover, next_day(10));
            coach.client.record_consent(request).await?;
            let request = coach.request(ungsam::HandOverRequest {
                request_id: request_id(&format!("ungsam-handover-{n}")),
                young_person_id: id.clone(),
                reason: "Vill arbetsträna med stöd av arbetsmarknadsenheten.".into(),
            });
            coach.client.hand_over(request).await?;
        }
        _ => {}
    }
    Ok(())
}
