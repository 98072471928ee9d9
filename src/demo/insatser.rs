//! insatser's demo: the labour-market unit of Markaryd. The participants bistand's demo referrals create
//! (waited for, since referrals are delivered in the background) and a few direct registrations get
//! plans, interventions at local employers and organisations, attendance, follow-ups and exits over
//! 2019–2021, some of them to work or studies.

use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use trappan_api::common::v1::{Date, ExitOutcome, PersonIdentityNumber};
use trappan_api::insatser::v1::{self as insatser, insatser_service_client::InsatserServiceClient};
use trappan_platform::auth::Role;
use trappan_platform::config::Settings;

use super::{DemoStaff, FAMILY, GIVEN, demo_personnummer, request_id};
use crate::progress::Progress;

/// How many participants bistand's demo refers (its households 0, 4 and 8).
const REFERRED: usize = 3;

/// Local employers and organisations that take internships and hire (invented, plausible for Markaryd).
const EMPLOYERS: [(&str, &str, insatser::EmployerSector, &str); 6] = [
    ("Lagadalens Snickeri AB", "556901-2345", insatser::EmployerSector::Private, "Trävaruindustri"),
    ("Markaryds Mekaniska Verkstad AB", "556812-7788", insatser::EmployerSector::Private, "Tillverkning"),
    ("Strömsnäsbruks Handelsträdgård", "556733-1020", insatser::EmployerSector::Private, "Handel"),
    ("Markaryds kommun, kostenheten", "212000-0720", insatser::EmployerSector::Public, "Offentlig förvaltning"),
    ("Traryds Bygdegårdsförening", "802450-3311", insatser::EmployerSector::NonProfit, "Föreningsliv"),
    ("Svenska kyrkan Markaryd, second hand", "252004-1187", insatser::EmployerSector::NonProfit, "Återbruk"),
];

/// One participant's path in the demo: plan start, placement, exit (if any) and its outcome.
struct Path {
    start: (i32, i32, i32),
    kind: &'static str,
    employer: Option<usize>,
    exit: Option<((i32, i32, i32), ExitOutcome)>,
}

const PATHS: [Path; 7] = [
    Path {
        start: (2019, 3, 4),
        kind: "work_training",
        employer: Some(0),
        exit: Some(((2019, 11, 29), ExitOutcome::OrdinaryEmployment)),
    },
    Path {
        start: (2019, 5, 6),
        kind: "internship",
        employer: Some(3),
        exit: Some(((2020, 6, 12), ExitOutcome::SubsidisedEmployment)),
    },
    Path {
        start: (2019, 9, 2),
        kind: "study_career_guidance",
        employer: None,
        exit: Some(((2020, 8, 14), ExitOutcome::Studies)),
    },
    Path {
        start: (2020, 1, 13),
        kind: "internship",
        employer: Some(1),
        exit: Some(((2020, 10, 30), ExitOutcome::OrdinaryEmployment)),
    },
    Path {
        start: (2020, 3, 2),
        kind: "work_training",
        employer: Some(5),
        exit: Some(((2021, 2, 26), ExitOutcome::Interrupted)),
    },
    Path {
        start: (2020, 9, 7),
        kind: "internship",
        employer: Some(2),
        exit: Some(((2021, 6, 18), ExitOutcome::Studies)),
    },
    Path { start: (2021, 2, 1), kind: "work_training", employer: Some(4), exit: None },
];

fn date((year, month, day): (i32, i32, i32)) -> Option<Date> {
    Some(Date { year, month, day })
}

/// The date `weeks` weeks after `start`.
fn weeks_after((year, month, day): (i32, i32, i32), weeks: u64) -> Option<Date> {
    use chrono::Datelike;
    let start = chrono::NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)?;
    let later = start.checked_add_days(chrono::Days::new(weeks * 7))?;
    Some(Date { year: later.year(), month: later.month() as i32, day: later.day() as i32 })
}

/// A request with the coordinator's token.
fn authed<T>(message: T, token: &MetadataValue<Ascii>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", token.clone());
    request
}

/// The participants bistand referred, once all of its demo referrals have arrived (briefly retried).
async fn referred_participants(
    client: &mut InsatserServiceClient<Channel>,
    token: &MetadataValue<Ascii>,
) -> anyhow::Result<Vec<insatser::Participant>> {
    for _ in 0..60 {
        let participants = client
            .list_participants(authed(
                insatser::ListParticipantsRequest { page_size: 500, ..Default::default() },
                token,
            ))
            .await?
            .into_inner()
            .participants;
        let referred: Vec<_> = participants
            .into_iter()
            .filter(|p| p.source == insatser::ReferralSource::EkonomisktBistand as i32)
            .collect();
        if referred.len() >= REFERRED {
            return Ok(referred);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    anyhow::bail!("bistand's demo referrals have not reached insatser yet")
}

/// Seeds insatser's part of the demo.
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

    let mut participants = referred_participants(&mut client, &token).await?;
    for n in 0..(PATHS.len() - REFERRED) as u32 {
        let (start_year, start_month, start_day) = PATHS[REFERRED + n as usize].start;
        let participant = client
            .create_participant(authed(
                insatser::CreateParticipantRequest {
                    request_id: request_id(&format!("participant-{n}")),
                    participant: Some(insatser::Participant {
                        person_identity_number: Some(PersonIdentityNumber {
                            value: demo_personnummer(1984 + (n as i32 * 5) % 17, 2 + n, 3 + n * 6, 500 + n),
                        }),
                        given_name: GIVEN[(n as usize + 2) % GIVEN.len()].into(),
                        family_name: FAMILY[(n as usize + 1) % FAMILY.len()].into(),
                        source: if n % 2 == 0 {
                            insatser::ReferralSource::Arbetsformedlingen as i32
                        } else {
                            insatser::ReferralSource::Self_ as i32
                        },
                        born_abroad: Some(n % 2 == 1),
                        registered_on: date((start_year, start_month, start_day.saturating_sub(3).max(1))),
                        ..Default::default()
                    }),
                },
                &token,
            ))
            .await?
            .into_inner()
            .participant
            .unwrap_or_default();
        participants.push(participant);
    }

    let progress = Progress::counted("insatser paths", participants.len().min(PATHS.len()) as u64);
    for (n, (participant, path)) in participants.iter().zip(PATHS.iter()).enumerate() {
        seed_path(&mut client, &token, &employers, n, participant, path).await?;
        progress.inc();
    }
    progress.finish();
    Ok(())
}

/// One participant's plan, placement, attendance, follow-ups and exit.
async fn seed_path(
    client: &mut InsatserServiceClient<Channel>,
    token: &MetadataValue<Ascii>,
    employers: &[String],
    n: usize,
    participant: &insatser::Participant,
    path: &Path,
) -> anyhow::Result<()> {
    let id = participant.participant_id.clone();
    let plan = |step: &str, goal: insatser::PlanGoalKind, decided: Option<Date>| insatser::Plan {
        participant_id: id.clone(),
        goal: goal as i32,
        current_step: step.into(),
        activities: vec![
            insatser::PlannedActivity {
                kind: "individual_talks".into(),
                weekly_hours: 1,
                start_date: date(path.start),
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
                plan: Some(plan("work_training", goal, date(path.start))),
            },
            token,
        ))
        .await?;
    if participant.status != insatser::ParticipantStatus::Exited as i32 {
        client
            .revise_plan(authed(
                insatser::RevisePlanRequest {
                    request_id: request_id(&format!("plan-{n}-revision")),
                    plan: Some(plan("internship", goal, weeks_after(path.start, 12))),
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
    for week in 0..6u64 {
        let status = match (n + week as usize) % 5 {
            0 => insatser::AttendanceStatus::Excused,
            3 if n == 4 => insatser::AttendanceStatus::Unexcused,
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
    record_follow_ups(client, token, n, &id, path, false).await?;
    if let Some((exited_on, outcome)) = path.exit {
        client
            .exit_participant(authed(
                insatser::ExitParticipantRequest {
                    participant_id: id.clone(),
                    outcome: outcome as i32,
                    exited_on: date(exited_on),
                },
                token,
            ))
            .await?;
        record_follow_ups(client, token, n, &id, path, true).await?;
    }
    Ok(())
}

/// Records the participant's waiting follow-ups up to a demo day: while active the first four, after exit
/// the 3- and 6-month ones (did the work or studies last?). Some are done late, as in real life.
async fn record_follow_ups(
    client: &mut InsatserServiceClient<Channel>,
    token: &MetadataValue<Ascii>,
    n: usize,
    participant_id: &str,
    path: &Path,
    after_exit: bool,
) -> anyhow::Result<()> {
    for round in 0..8 {
        let waiting: Vec<insatser::FollowUp> = client
            .list_follow_ups(authed(
                insatser::ListFollowUpsRequest {
                    participant_id: participant_id.into(),
                    as_of: date((2021, 12, 31)),
                    ..Default::default()
                },
                token,
            ))
            .await?
            .into_inner()
            .follow_ups
            .into_iter()
            .filter(|f| f.done_on.is_none() && (f.months_after_exit > 0) == after_exit)
            .filter(|f| f.due_on.as_ref().is_some_and(|d| (d.year, d.month, d.day) <= (2021, 12, 31)))
            .filter(|f| f.number <= 4 && f.months_after_exit <= 6)
            .collect();
        let Some(next) = waiting.into_iter().next() else {
            return Ok(());
        };
        let due = next.due_on.unwrap_or_default();
        let late = (n + round).is_multiple_of(3);
        let done_on = weeks_after((due.year, due.month, due.day), if late { 2 } else { 0 });
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
