//! insatser's demo: the labour-market unit of Markaryd. The participants bistand's demo referrals create
//! (waited for, since referrals are delivered in the background) and the participants the unit registered
//! itself get plans, interventions at local employers and organisations, attendance, follow-ups and exits
//! over 2018–2021, half to two thirds of the exits to work or studies.
//!
//! A referral carries no date of its own, so a referred participant is registered on the day the demo runs;
//! their path (plan, interventions, exit) has its historical dates, starting after the person's consent.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{Days, NaiveDate};
use futures::{StreamExt, TryFutureExt, TryStreamExt};

use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use trappan_api::common::v1::{Date, ExitOutcome, PersonIdentityNumber};
use trappan_api::insatser::v1::{self as insatser, insatser_service_client::InsatserServiceClient};
use trappan_platform::auth::Role;
use trappan_platform::config::Settings;

use super::bistand::identity_number;
use super::history::{self, Dice};
use super::{DemoStaff, FAMILY, GIVEN, demo_personnummer, request_id};
use crate::progress::Progress;

/// Participants the unit registers itself over 2018-09..2021-10 (sent by Arbetsförmedlingen, coming on their
/// own, or from others), beside those bistand refers: with them the unit has on the order of a hundred
/// participants a year.
const DIRECT: u32 = 150;

/// Paths seeded at the same time, as bistand's households are.
const CONCURRENT_PATHS: usize = 8;

/// Local employers and organisations that take internships and hire (invented, plausible for Markaryd).
const EMPLOYERS: [(&str, &str, insatser::EmployerSector, &str); 6] = [
    ("Lagadalens Snickeri AB", "556901-2345", insatser::EmployerSector::Private, "Trävaruindustri"),
    ("Markaryds Mekaniska Verkstad AB", "556812-7788", insatser::EmployerSector::Private, "Tillverkning"),
    ("Strömsnäsbruks Handelsträdgård", "556733-1020", insatser::EmployerSector::Private, "Handel"),
    ("Markaryds kommun, kostenheten", "212000-0720", insatser::EmployerSector::Public, "Offentlig förvaltning"),
    ("Traryds Bygdegårdsförening", "802450-3311", insatser::EmployerSector::NonProfit, "Föreningsliv"),
    ("Svenska kyrkan Markaryd, second hand", "252004-1187", insatser::EmployerSector::NonProfit, "Återbruk"),
];

/// The interventions the demo's paths centre on, and whether they are placed at an employer.
const KINDS: [(&str, bool); 6] = [
    ("work_training", true),
    ("internship", true),
    ("study_career_guidance", false),
    ("group_activity", false),
    ("language_support", false),
    ("cv_writing", false),
];

/// The last day the demo's history reaches.
fn end_of_history() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// One participant's path in the demo: plan start, placement, exit (if any) and its outcome.
struct Path {
    start: NaiveDate,
    kind: &'static str,
    employer: Option<usize>,
    exit: Option<(NaiveDate, ExitOutcome)>,
}

/// A path starting on `start`: two months to a year at the unit, then an exit as the unit's figures have
/// them, half to two thirds to work or studies (those still on their path at the end of 2021 have none).
fn path(dice: &mut Dice, start: NaiveDate) -> Path {
    let (kind, placed) = KINDS[usize::try_from(dice.between(0, KINDS.len() as i64 - 1)).unwrap_or(0)];
    let employer = placed.then(|| usize::try_from(dice.between(0, EMPLOYERS.len() as i64 - 1)).unwrap_or(0));
    let days = dice.between(2, 12) * 30 + dice.between(0, 20);
    let exited_on = start + Days::new(u64::try_from(days).unwrap_or(60));
    let outcome = match dice.between(0, 99) {
        _ if kind == "study_career_guidance" && dice.chance(60) => ExitOutcome::Studies,
        0..=25 => ExitOutcome::OrdinaryEmployment,
        26..=38 => ExitOutcome::SubsidisedEmployment,
        39..=54 => ExitOutcome::Studies,
        55..=72 => ExitOutcome::OtherAuthority,
        73..=91 => ExitOutcome::Interrupted,
        92..=95 => ExitOutcome::Moved,
        _ => ExitOutcome::Unknown,
    };
    Path { start, kind, employer, exit: (exited_on <= end_of_history()).then_some((exited_on, outcome)) }
}

/// The path of the `n`th participant the unit registered itself: spread evenly over 2018-09..2021-10, a few
/// days either way.
fn direct_path(n: u32) -> Path {
    let mut dice = dice_for("direct", n as usize);
    let first = NaiveDate::from_ymd_opt(2018, 9, 3).unwrap_or(NaiveDate::MIN);
    let offset = u64::from(n) * 1_150 / u64::from(DIRECT) + u64::try_from(dice.between(0, 6)).unwrap_or(0);
    path(&mut dice, first + Days::new(offset))
}

/// The dice for the `n`th draw of `what` (a path, a person): its own seed (FNV-1a of both), so each is the
/// same on every run and independent of the others.
fn dice_for(what: &str, n: usize) -> Dice {
    let bytes = what.bytes().chain(u64::try_from(n).unwrap_or(0).to_le_bytes());
    Dice::new(bytes.fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)))
}

/// The day each referred adult consented, by identity number: their path starts a week or three later.
fn consents_by_identity_number() -> HashMap<String, NaiveDate> {
    let mut consents = HashMap::new();
    for household in history::history() {
        for (index, person) in household.members.iter().enumerate() {
            if let Some(consent) = person.consent.filter(|c| c.referred) {
                consents.insert(identity_number(&household, index, person), consent.given_on);
            }
        }
    }
    consents
}

/// A request with the coordinator's token.
fn authed<T>(message: T, token: &MetadataValue<Ascii>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", token.clone());
    request
}

/// The participants bistand referred, in identity-number order (so each gets the same path on every run),
/// once all `expected` of the demo's referrals have arrived (they are delivered in the background while
/// bistand's demo runs; waited for two minutes at most).
async fn referred_participants(
    client: &mut InsatserServiceClient<Channel>,
    token: &MetadataValue<Ascii>,
    expected: usize,
) -> anyhow::Result<Vec<insatser::Participant>> {
    for _ in 0..240 {
        let mut referred = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_participants(authed(
                    insatser::ListParticipantsRequest { page_size: 500, page_token, ..Default::default() },
                    token,
                ))
                .await?
                .into_inner();
            referred.extend(
                page.participants
                    .into_iter()
                    .filter(|p| p.source == insatser::ReferralSource::EkonomisktBistand as i32),
            );
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        if referred.len() >= expected {
            referred.sort_by(|a, b| {
                a.person_identity_number
                    .as_ref()
                    .map(|p| &p.value)
                    .cmp(&b.person_identity_number.as_ref().map(|p| &p.value))
            });
            return Ok(referred);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    anyhow::bail!("bistand's demo referrals have not all reached insatser yet")
}

/// Registers the `n`th participant who came to the unit directly, on the day before their path starts.
async fn register_directly(
    client: &mut InsatserServiceClient<Channel>,
    token: &MetadataValue<Ascii>,
    n: u32,
    start: NaiveDate,
) -> anyhow::Result<insatser::Participant> {
    let mut dice = dice_for("direct-person", n as usize);
    let birth = (dice.between(1962, 2000) as i32, dice.between(1, 12) as u32, dice.between(1, 28) as u32);
    let source = match dice.between(0, 9) {
        0..=4 => insatser::ReferralSource::Arbetsformedlingen,
        5..=8 => insatser::ReferralSource::Self_,
        _ => insatser::ReferralSource::Other,
    };
    let participant = client
        .create_participant(authed(
            insatser::CreateParticipantRequest {
                request_id: request_id(&format!("participant-{n}")),
                participant: Some(insatser::Participant {
                    person_identity_number: Some(PersonIdentityNumber {
                        value: demo_personnummer(birth.0, birth.1, birth.2, 500 + n),
                    }),
                    given_name: GIVEN[(n as usize + 2) % GIVEN.len()].into(),
                    family_name: FAMILY[(n as usize + 1) % FAMILY.len()].into(),
                    source: source as i32,
                    born_abroad: Some(dice.chance(45)),
                    registered_on: Some(api_date(start - Days::new(1))),
                    ..Default::default()
                }),
            },
            token,
        ))
        .await?
        .into_inner()
        .participant
        .ok_or_else(|| anyhow::anyhow!("CreateParticipant answered without the participant"))?;
    Ok(participant)
}

/// Seeds insatser's part of the demo: the employers, a path for every participant bistand referred (starting
/// after the person's consent) and for the participants the unit registered itself.
pub(super) async fn seed(settings: &Settings, staff: &DemoStaff) -> anyhow::Result<()> {
    let token = staff.token(Role::Arbetsmarknadskoordinator, "arbetsmarknadsenheten")?;
    let mut client = InsatserServiceClient::connect(settings.peers.insatser_url.clone()).await?;

    let mut employers = Vec::with_capacity(EMPLOYERS.len());
    for (n, (name, organisation_number, sector, industry)) in EMPLOYERS.iter().enumerate() {
        let employer = client
            .create_employer(authed(
                insatser::CreateEmployerRequest {
                    request_id: request_id(&format!("employer-{n}")),
                    employer: Some(insatser::Employer {
                        name: (*name).into(),
                        organisation_number: (*organisation_number).into(),
                        sector: *sector as i32,
                        industry: (*industry).into(),
                        ..Default::default()
                    }),
                },
                &token,
            ))
            .await?
            .into_inner()
            .employer
            .unwrap_or_default();
        employers.push(employer.employer_id);
    }

    let consents = consents_by_identity_number();
    let mut paths = Vec::new();
    for (n, participant) in referred_participants(&mut client, &token, consents.len()).await?.into_iter().enumerate() {
        let number = participant.person_identity_number.as_ref().map(|p| p.value.as_str()).unwrap_or_default();
        let consented = consents.get(number).copied().unwrap_or(NaiveDate::MIN);
        let mut dice = dice_for("referred", n);
        let start = consented + Days::new(u64::try_from(dice.between(7, 21)).unwrap_or(7));
        paths.push((format!("referred-{n}"), participant, path(&mut dice, start)));
    }
    for n in 0..DIRECT {
        let path = direct_path(n);
        let participant = register_directly(&mut client, &token, n, path.start).await?;
        paths.push((format!("{n}"), participant, path));
    }

    let progress = Progress::counted("insatser paths", paths.len() as u64);
    let tasks: Vec<_> = paths
        .iter()
        .enumerate()
        .map(|(variety, (name, participant, path))| {
            seed_path(client.clone(), &token, &employers, (name, variety), participant, path)
                .inspect_ok(|_| progress.inc())
        })
        .collect();
    futures::stream::iter(tasks).buffer_unordered(CONCURRENT_PATHS).try_collect::<Vec<()>>().await?;
    progress.finish();
    Ok(())
}

fn api_date(day: NaiveDate) -> Date {
    trappan_platform::grpc::to_date(day)
}

fn weeks_after(start: NaiveDate, weeks: u64) -> Option<Date> {
    Some(api_date(start + Days::new(weeks * 7)))
}

/// One participant's plan, placement, attendance, follow-ups and exit; `name` keys its request ids and
/// `variety` (its place among the demo's paths) varies attendance and punctuality.
async fn seed_path(
    mut client: InsatserServiceClient<Channel>,
    token: &MetadataValue<Ascii>,
    employers: &[String],
    (name, variety): (&str, usize),
    participant: &insatser::Participant,
    path: &Path,
) -> anyhow::Result<()> {
    let client = &mut client;
    let n = name;
    let id = participant.participant_id.clone();
    let plan = |step: &str, goal: insatser::PlanGoalKind, decided: Option<Date>| insatser::Plan {
        participant_id: id.clone(),
        goal: goal as i32,
        current_step: step.into(),
        activities: vec![
            insatser::PlannedActivity {
                kind: "individual_talks".into(),
                weekly_hours: 1,
                start_date: Some(api_date(path.start)),
                end_date: weeks_after(path.start, 40),
            },
            insatser::PlannedActivity {
                kind: path.kind.into(),
                weekly_hours: 20,
                start_date: weeks_after(path.start, 2),
                end_date: weeks_after(path.start, 26),
            },
        ],
        decided_on: decided,
        ..Default::default()
    };
    let goal = if path.kind == "study_career_guidance" {
        insatser::PlanGoalKind::Studies
    } else {
        insatser::PlanGoalKind::Work
    };
    client
        .create_plan(authed(
            insatser::CreatePlanRequest {
                request_id: request_id(&format!("plan-{n}")),
                plan: Some(plan("work_training", goal, Some(api_date(path.start)))),
            },
            token,
        ))
        .await?;
    if participant.status != insatser::ParticipantStatus::Exited as i32 {
        client
            .revise_plan(authed(
                insatser::RevisePlanRequest {
                    request_id: request_id(&format!("plan-{n}-revision")),
                    // Revised after eight weeks: every demo path lasts at least two months.
                    plan: Some(plan("internship", goal, weeks_after(path.start, 8))),
                },
                token,
            ))
            .await?;
    }
    let intervention = client
        .start_intervention(authed(
            insatser::StartInterventionRequest {
                request_id: request_id(&format!("intervention-{n}")),
                intervention: Some(insatser::Intervention {
                    participant_id: id.clone(),
                    kind: path.kind.into(),
                    start_date: weeks_after(path.start, 2),
                    planned_end_date: weeks_after(path.start, 26),
                    weekly_hours: 20,
                    employer_id: path.employer.and_then(|e| employers.get(e)).cloned().unwrap_or_default(),
                    ..Default::default()
                }),
            },
            token,
        ))
        .await?
        .into_inner()
        .intervention
        .unwrap_or_default();
    for week in 0..4u64 {
        let status = match (variety + week as usize) % 5 {
            0 => insatser::AttendanceStatus::Excused,
            3 if variety % 7 == 4 => insatser::AttendanceStatus::Unexcused,
            _ => insatser::AttendanceStatus::Present,
        };
        client
            .record_attendance(authed(
                insatser::RecordAttendanceRequest {
                    request_id: request_id(&format!("attendance-{n}-{week}")),
                    intervention_id: intervention.intervention_id.clone(),
                    date: weeks_after(path.start, 2 + week),
                    period: insatser::AttendancePeriod::Week as i32,
                    status: status as i32,
                },
                token,
            ))
            .await?;
    }
    record_follow_ups(client, token, variety, &id, path, false).await?;
    if let Some((exited_on, outcome)) = path.exit {
        client
            .exit_participant(authed(
                insatser::ExitParticipantRequest {
                    participant_id: id.clone(),
                    outcome: outcome as i32,
                    exited_on: Some(api_date(exited_on)),
                },
                token,
            ))
            .await?;
        record_follow_ups(client, token, variety, &id, path, true).await?;
    }
    Ok(())
}

/// Records the participant's waiting follow-ups up to the end of the history: while active the first four
/// due three weeks or more before the exit (a late one is done two weeks after it is due, still before the
/// exit), after exit the 3- and 6-month ones (did the work or studies last?). Some are done late, as in real
/// life.
async fn record_follow_ups(
    client: &mut InsatserServiceClient<Channel>,
    token: &MetadataValue<Ascii>,
    variety: usize,
    participant_id: &str,
    path: &Path,
    after_exit: bool,
) -> anyhow::Result<()> {
    for round in 0..8 {
        let waiting: Vec<insatser::FollowUp> = client
            .list_follow_ups(authed(
                insatser::ListFollowUpsRequest {
                    participant_id: participant_id.into(),
                    as_of: Some(api_date(end_of_history())),
                    ..Default::default()
                },
                token,
            ))
            .await?
            .into_inner()
            .follow_ups
            .into_iter()
            .filter(|f| f.done_on.is_none() && (f.months_after_exit > 0) == after_exit)
            .filter(|f| {
                let due = f.due_on.as_ref().and_then(|d| trappan_platform::grpc::parse_date(Some(d), "due_on").ok());
                let last = match path.exit {
                    Some((exited_on, _)) if !after_exit => exited_on - Days::new(21),
                    _ => end_of_history(),
                };
                due.is_some_and(|d| d <= last)
            })
            .filter(|f| f.number <= 4 && f.months_after_exit <= 6)
            .collect();
        let Some(next) = waiting.into_iter().next() else {
            return Ok(());
        };
        let due = next
            .due_on
            .as_ref()
            .and_then(|d| trappan_platform::grpc::parse_date(Some(d), "due_on").ok())
            .unwrap_or(NaiveDate::MIN);
        let late = (variety + round).is_multiple_of(3);
        let done_on = weeks_after(due, if late { 2 } else { 0 });
        let progress = match (after_exit, path.exit.map(|(_, outcome)| outcome)) {
            (true, Some(ExitOutcome::Interrupted)) => insatser::FollowUpProgress::NotReached,
            (true, _) => insatser::FollowUpProgress::OutcomeLasted,
            (false, _) if late => insatser::FollowUpProgress::Delayed,
            (false, _) => insatser::FollowUpProgress::OnTrack,
        };
        client
            .record_follow_up(authed(
                insatser::RecordFollowUpRequest {
                    follow_up_id: next.follow_up_id,
                    done_on,
                    progress: progress as i32,
                    next_step: if after_exit {
                        "Ny uppföljning om tre månader".into()
                    } else {
                        "Fortsätt enligt planen".into()
                    },
                },
                token,
            ))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORK_OR_STUDIES: [ExitOutcome; 3] =
        [ExitOutcome::OrdinaryEmployment, ExitOutcome::SubsidisedEmployment, ExitOutcome::Studies];

    #[test]
    fn paths_last_two_months_at_least_and_end_within_the_history() {
        for path in (0..DIRECT).map(direct_path) {
            if let Some((exited_on, _)) = path.exit {
                assert!(exited_on >= path.start + Days::new(60), "the plan is revised after eight weeks");
                assert!(exited_on <= end_of_history());
            }
            assert_eq!(path.employer.is_some(), KINDS.iter().any(|(kind, placed)| *kind == path.kind && *placed));
        }
    }

    #[test]
    fn half_to_two_thirds_of_the_exits_are_to_work_or_studies() {
        let exits: Vec<ExitOutcome> =
            (0..DIRECT).filter_map(|n| direct_path(n).exit.map(|(_, outcome)| outcome)).collect();
        let to_work_or_studies = exits.iter().filter(|o| WORK_OR_STUDIES.contains(o)).count();
        assert!(exits.len() >= 100, "{} exits", exits.len());
        let share = to_work_or_studies * 100 / exits.len();
        assert!((45..=70).contains(&share), "{share} %");
    }
}
