//! rapport's transport: decodes requests, takes the municipality from the caller's token, loads the facts
//! from the store, computes the figures ([`crate::figures`]) and encodes them.

use std::time::Instant;

use tonic::{Request, Response, Status};
use trappan_api::common::v1::{ExitOutcome, Money, YearMonth as ApiYearMonth};
use trappan_api::rapport::v1::{self as api, rapport_service_server::RapportService};
use trappan_platform::auth::context;
use trappan_platform::error::{FieldViolation, ServiceError};
use trappan_platform::grpc::parse_year_month;
use trappan_platform::server::ServiceContext;

use crate::domain::{
    self, CountyCode, Figure, KommunCode, RankBy, Region, UnemploymentGroup, YearMonth, change_basis_points,
    parse_unemployment, rank_county_municipalities, suppress,
};
use crate::figures::{self, Period};
use crate::follower::{FeedStates, Producer};
use crate::reports;
use crate::store::{self, facts, queries};

/// The RapportService implementation.
pub struct RapportApi {
    context: ServiceContext,
    states: FeedStates,
}

impl RapportApi {
    /// The service over `context`'s store and the followers' `states`.
    pub fn new(context: ServiceContext, states: FeedStates) -> RapportApi {
        RapportApi { context, states }
    }

    fn threshold(&self) -> u64 {
        self.context.settings.rapport.suppression_threshold
    }
}

fn people_count(figure: Figure) -> api::PeopleCount {
    match figure {
        Figure::Shown(value) => api::PeopleCount { value: i64::try_from(value).unwrap_or(i64::MAX), suppressed: false },
        Figure::Suppressed => api::PeopleCount { value: 0, suppressed: true },
    }
}

fn money(ore: i64) -> Option<Money> {
    Some(Money { ore })
}

fn change_of(previous: Option<i64>, current: Option<i64>) -> Option<api::Change> {
    let change = previous.zip(current).and_then(|(p, c)| change_basis_points(p, c));
    Some(api::Change { available: change.is_some(), basis_points: change.unwrap_or_default() })
}

fn shown(figure: Figure) -> Option<i64> {
    figure.shown().and_then(|v| i64::try_from(v).ok())
}

fn figure_change(previous: Figure, current: Figure) -> Option<api::Change> {
    change_of(shown(previous), shown(current))
}

fn share(basis_points: Option<u64>) -> Option<api::Share> {
    let value = basis_points.and_then(|v| i64::try_from(v).ok());
    Some(api::Share { available: value.is_some(), basis_points: value.unwrap_or_default() })
}

fn signed_share(basis_points: Option<i64>) -> Option<api::Share> {
    Some(api::Share { available: basis_points.is_some(), basis_points: basis_points.unwrap_or_default() })
}

fn whole(value: u64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Decodes a report period: exactly one of a valid month or a year.
fn parse_period(period: Option<&api::ReportPeriod>, field: &str) -> Result<Period, ServiceError> {
    match period.and_then(|p| p.kind.as_ref()) {
        Some(api::report_period::Kind::Month(month)) => {
            let (year, month) = parse_year_month(Some(month), &format!("{field}.month"))?;
            YearMonth::new(year, month)
                .map(Period::Month)
                .ok_or_else(|| ServiceError::invalid(format!("{field}.month"), "the month is out of range"))
        }
        Some(api::report_period::Kind::Year(year)) => parse_year(*year, &format!("{field}.year")).map(Period::Year),
        None => Err(ServiceError::invalid(field, "give a month or a year")),
    }
}

fn parse_year(year: i32, field: &str) -> Result<i32, ServiceError> {
    if (1901..=9999).contains(&year) {
        Ok(year)
    } else {
        Err(ServiceError::invalid(field, "the year must be 1901–9999"))
    }
}

fn encode_period(period: Period) -> Option<api::ReportPeriod> {
    let kind = match period {
        Period::Month(m) => {
            api::report_period::Kind::Month(ApiYearMonth { year: m.year, month: i32::try_from(m.month).unwrap_or(1) })
        }
        Period::Year(y) => api::report_period::Kind::Year(y),
    };
    Some(api::ReportPeriod { kind: Some(kind) })
}

fn dates(period: Period) -> Result<(chrono::NaiveDate, chrono::NaiveDate), ServiceError> {
    reports::dates(period)
}

fn earlier(period: Period) -> Result<Period, ServiceError> {
    period.year_earlier().ok_or_else(|| ServiceError::invalid("period", "the period has no year before it"))
}

fn exits(outcomes: &[(i32, Figure)]) -> Vec<api::ExitOutcomeCount> {
    outcomes
        .iter()
        .map(|(outcome, figure)| api::ExitOutcomeCount {
            outcome: ExitOutcome::try_from(*outcome).unwrap_or(ExitOutcome::Unknown) as i32,
            exits: Some(people_count(*figure)),
        })
        .collect()
}

impl RapportApi {
    async fn bistand_figures(&self, kommun: &str, period: Period) -> Result<figures::BistandFigures, ServiceError> {
        reports::bistand(self.context.store.db()?, kommun, period, self.threshold()).await
    }

    async fn labour_market_figures(
        &self,
        kommun: &str,
        period: Period,
    ) -> Result<figures::LabourMarketFigures, ServiceError> {
        reports::labour_market(self.context.store.db()?, kommun, period, self.threshold()).await
    }

    async fn ungsam_figures(&self, kommun: &str, period: Period) -> Result<figures::UngsamFigures, ServiceError> {
        reports::ungsam(self.context.store.db()?, kommun, period, self.threshold()).await
    }

    /// Paid per month of `year` up to the period's last month, and the latest budget status up to it.
    async fn budget(
        &self,
        kommun: &str,
        year: i32,
        last_month: u32,
    ) -> Result<([i64; 12], Option<facts::bistand_budget::Model>), ServiceError> {
        let db = self.context.store.db()?;
        let from = chrono::NaiveDate::from_ymd_opt(year, 1, 1);
        let to =
            chrono::NaiveDate::from_ymd_opt(if last_month == 12 { year + 1 } else { year }, last_month % 12 + 1, 1)
                .and_then(|d| d.pred_opt());
        let (Some(from), Some(to)) = (from, to) else {
            return Err(ServiceError::invalid("period", "the period is out of range"));
        };
        let payments = queries::paid_between(db, kommun, from, to).await?;
        let budget = queries::latest_budget(db, kommun, year, year * 100 + last_month as i32).await?;
        Ok((figures::paid_by_month(year, &payments), budget))
    }

    async fn management_report(&self, kommun: &str, month: YearMonth) -> Result<String, ServiceError> {
        let period = Period::Month(month);
        let before = earlier(period)?;
        let now = self.bistand_figures(kommun, period).await?;
        let then = self.bistand_figures(kommun, before).await?;
        let (paid_by_month, budget) = self.budget(kommun, month.year, month.month).await?;
        let (paid_by_month_year_earlier, budget_year_earlier) =
            self.budget(kommun, month.year - 1, month.month).await?;
        let mut households_by_month = [None; 12];
        let mut households_by_month_year_earlier = [None; 12];
        let mut exits_by_month = [None; 12];
        let mut exits_by_month_year_earlier = [None; 12];
        for m in 1..=12u32 {
            let slot = (m - 1) as usize;
            if let Some(previous) = YearMonth::new(month.year - 1, m) {
                households_by_month_year_earlier[slot] =
                    Some(self.bistand_figures(kommun, Period::Month(previous)).await?.granted_households);
                exits_by_month_year_earlier[slot] =
                    Some(self.labour_market_figures(kommun, Period::Month(previous)).await?.work_or_studies);
            }
            if m <= month.month
                && let Some(current) = YearMonth::new(month.year, m)
            {
                households_by_month[slot] =
                    Some(self.bistand_figures(kommun, Period::Month(current)).await?.granted_households);
                exits_by_month[slot] =
                    Some(self.labour_market_figures(kommun, Period::Month(current)).await?.work_or_studies);
            }
        }
        let month_year_earlier =
            month.year_earlier().ok_or_else(|| ServiceError::invalid("month", "the month has no year before it"))?;
        let ungsam = self.ungsam_year_to_date(kommun, month).await?;
        let ungsam_year_earlier = self.ungsam_year_to_date(kommun, month_year_earlier).await?;
        let mut paid = [None; 12];
        for (slot, value) in paid_by_month.iter().enumerate().take(month.month as usize) {
            paid[slot] = Some(*value);
        }
        let position =
            |paid_by_month: &[i64; 12], budget: &Option<facts::bistand_budget::Model>| domain::BudgetPosition {
                budget_ore: budget.as_ref().map_or(0, |b| b.allocated_ore),
                paid_to_date_ore: paid_by_month.iter().take(month.month as usize).sum(),
                forecast_ore: budget.as_ref().map_or(0, |b| b.forecast_ore),
            };
        let this_slot = (month.month - 1) as usize;
        let code = KommunCode::parse(kommun);
        let unemployment = match code {
            Some(code) => self.unemployment_section(kommun, code, month).await?,
            None => domain::UnemploymentSection::default(),
        };
        let report = domain::ManagementReport {
            kommun_code: kommun.to_string(),
            kommun_name: code.and_then(domain::region::kommun_name).unwrap_or(kommun).to_string(),
            month,
            suppression_threshold: self.threshold(),
            households: now.granted_households,
            households_year_earlier: then.granted_households,
            children: now.children,
            children_year_earlier: then.children,
            paid_this_month_ore: now.paid_ore,
            paid_this_month_year_earlier_ore: then.paid_ore,
            budget: position(&paid_by_month, &budget),
            budget_year_earlier: position(&paid_by_month_year_earlier, &budget_year_earlier),
            households_by_month,
            households_by_month_year_earlier,
            paid_by_month_ore: paid,
            // The month's own slots of the two series, filled in the loop above.
            exits_work_or_studies: exits_by_month[this_slot].unwrap_or(Figure::Suppressed),
            exits_work_or_studies_year_earlier: exits_by_month_year_earlier[this_slot].unwrap_or(Figure::Suppressed),
            exits_work_or_studies_by_month: exits_by_month,
            exits_work_or_studies_by_month_year_earlier: exits_by_month_year_earlier,
            ungsam: domain::Coverage { identified: ungsam.identified, reached: ungsam.reached },
            ungsam_year_earlier: domain::Coverage {
                identified: ungsam_year_earlier.identified,
                reached: ungsam_year_earlier.reached,
            },
            unemployment,
        };
        Ok(domain::render_management_report(&report))
    }

    /// Ungsam's figures from 1 January to the end of `month`: the coverage so far this year, so that a report
    /// made later does not count the young people identified after its month.
    async fn ungsam_year_to_date(
        &self,
        kommun: &str,
        month: YearMonth,
    ) -> Result<figures::UngsamFigures, ServiceError> {
        let january = YearMonth::new(month.year, 1).ok_or_else(|| ServiceError::invalid("month", "out of range"))?;
        let (from, _) = dates(Period::Month(january))?;
        let (_, to) = dates(Period::Month(month))?;
        reports::ungsam_between(self.context.store.db()?, kommun, (from, to), self.threshold()).await
    }

    /// The three groups' unemployment beside the county and the nation, and the county's municipalities ranked
    /// by the change of their share for all, as `GetUnemploymentComparison` answers them.
    async fn unemployment_section(
        &self,
        importer: &str,
        kommun: KommunCode,
        month: YearMonth,
    ) -> Result<domain::UnemploymentSection, ServiceError> {
        let county = kommun.county();
        let mut section = domain::UnemploymentSection {
            county_name: domain::region::county_name(county).map_or_else(|| format!("län {county}"), str::to_string),
            ..Default::default()
        };
        for group in [UnemploymentGroup::All, UnemploymentGroup::Age18To24, UnemploymentGroup::ForeignBorn] {
            let comparison = self.unemployment_comparison(importer, kommun, month, group, "").await?;
            let shares = |region: Region| domain::RegionShares {
                now_bp: find_row(&comparison.rows, region, Some(month), &comparison.series).and_then(|r| r.share_bp),
                year_earlier_bp: find_row(&comparison.rows, region, month.year_earlier(), &comparison.series)
                    .and_then(|r| r.share_bp),
            };
            if group == UnemploymentGroup::All {
                section.ranking = comparison
                    .ranking
                    .iter()
                    .map(|rank| domain::RankedKommun {
                        name: domain::region::kommun_name(rank.kommun)
                            .map_or_else(|| rank.kommun.to_string(), str::to_string),
                        change_bp: rank.change,
                        rank: rank.rank,
                        own: rank.kommun == kommun,
                    })
                    .collect();
            }
            section.groups.push(domain::GroupUnemployment {
                group,
                municipality: shares(Region::Municipality(kommun)),
                county: shares(Region::County(county)),
                nation: shares(Region::Nation),
                series: comparison.series,
            });
        }
        Ok(section)
    }

    /// `importer`'s figures of one group for `month` and a year earlier in one series (`series`, or when empty
    /// the series of the municipality's figure for the month), and `kommun`'s county ranked by change of share.
    async fn unemployment_comparison(
        &self,
        importer: &str,
        kommun: KommunCode,
        month: YearMonth,
        group: UnemploymentGroup,
        series: &str,
    ) -> Result<Comparison, ServiceError> {
        let county: CountyCode = kommun.county();
        let mut keys = vec![figures::key(month)];
        keys.extend(month.year_earlier().map(figures::key));
        let stored = queries::unemployment(self.context.store.db()?, importer, group.code(), &keys).await?;
        let rows: Vec<domain::UnemploymentRow> = stored.iter().filter_map(|r| to_row(r, group)).collect();
        let series = if series.is_empty() {
            rows.iter()
                .find(|r| r.region == Region::Municipality(kommun) && r.month == month)
                .or_else(|| rows.iter().find(|r| r.month == month))
                .map(|r| r.series.clone())
                .unwrap_or_default()
        } else {
            series.to_string()
        };
        let mut kommuner: Vec<KommunCode> = rows
            .iter()
            .filter_map(|r| match r.region {
                Region::Municipality(k) if k.county() == county => Some(k),
                _ => None,
            })
            .collect();
        kommuner.extend(domain::region::kommuner_in(county).unwrap_or_default().iter().map(|k| k.code));
        let ranking = rank_county_municipalities(&rows, county, &kommuner, month, group, &series, RankBy::ShareChange);
        Ok(Comparison { series, rows, ranking })
    }
}

/// One group's imported figures for a month and a year earlier, the series compared, and the county's ranking.
struct Comparison {
    series: String,
    rows: Vec<domain::UnemploymentRow>,
    ranking: Vec<domain::MunicipalityRank>,
}

/// The figure of `region` for `month` in `series`.
fn find_row<'a>(
    rows: &'a [domain::UnemploymentRow],
    region: Region,
    month: Option<YearMonth>,
    series: &str,
) -> Option<&'a domain::UnemploymentRow> {
    rows.iter().find(|r| r.region == region && Some(r.month) == month && r.series == series)
}

fn bistand_message(f: &figures::BistandFigures) -> api::BistandFigures {
    api::BistandFigures {
        granted_households: Some(people_count(f.granted_households)),
        persons: Some(people_count(f.persons)),
        adults: Some(people_count(f.adults)),
        children: Some(people_count(f.children)),
        paid: money(f.paid_ore),
        long_term_households: Some(people_count(f.long_term)),
        short_term_households: Some(people_count(f.short_term)),
        median_months_on_assistance: whole(f.median_months),
        households_with_children: Some(people_count(f.with_children)),
        households_without_children: Some(people_count(f.without_children)),
    }
}

fn labour_message(f: &figures::LabourMarketFigures) -> api::LabourMarketFigures {
    api::LabourMarketFigures {
        active_participants: Some(people_count(f.active)),
        active_by_intervention: f
            .by_intervention
            .iter()
            .map(|(kind, figure)| api::InterventionCount {
                kind: kind.clone(),
                participants: Some(people_count(*figure)),
            })
            .collect(),
        exits: Some(people_count(f.exits)),
        exits_by_outcome: exits(&f.exits_by_outcome),
        exits_to_work_or_studies: share(f.work_or_studies_bp),
        median_days_to_exit: whole(f.median_days_to_exit),
        follow_ups: Some(people_count(f.follow_ups)),
        follow_ups_on_time: Some(people_count(f.follow_ups_on_time)),
        follow_ups_on_time_share: share(figures::share(f.follow_ups_on_time, f.follow_ups)),
    }
}

fn ungsam_message(f: &figures::UngsamFigures) -> api::UngsamFigures {
    api::UngsamFigures {
        identified: Some(people_count(f.identified)),
        reached: Some(people_count(f.reached)),
        coverage: share(figures::share(f.reached, f.identified)),
        median_days_to_first_contact: whole(f.median_days_to_first_contact),
        in_activity: Some(people_count(f.in_activity)),
        exits: Some(people_count(f.exits)),
        exits_by_outcome: exits(&f.exits_by_outcome),
        handed_over: Some(people_count(f.handed_over)),
    }
}

fn region_code(region: Region) -> String {
    match region {
        Region::Nation => "00".into(),
        Region::County(c) => format!("{:02}", c.value()),
        Region::Municipality(k) => format!("{:04}", k.value()),
    }
}

fn group_of(group: i32) -> Result<UnemploymentGroup, ServiceError> {
    match api::UnemploymentGroup::try_from(group) {
        Ok(api::UnemploymentGroup::Unspecified | api::UnemploymentGroup::All) => Ok(UnemploymentGroup::All),
        Ok(api::UnemploymentGroup::UnemploymentGroup1824) => Ok(UnemploymentGroup::Age18To24),
        Ok(api::UnemploymentGroup::ForeignBorn) => Ok(UnemploymentGroup::ForeignBorn),
        Err(_) => Err(ServiceError::invalid("group", "unknown group")),
    }
}

fn to_row(row: &facts::unemployment_figure::Model, group: UnemploymentGroup) -> Option<domain::UnemploymentRow> {
    Some(domain::UnemploymentRow {
        row_number: 0,
        region: Region::parse(&row.region)?,
        month: YearMonth::new(row.month_key / 100, u32::try_from(row.month_key % 100).ok()?)?,
        group,
        registered_unemployed: row
            .registered_unemployed
            .and_then(|v| u64::try_from(v).ok())
            .map_or(Figure::Suppressed, Figure::Shown),
        share_bp: row.share_bp.and_then(|v| u32::try_from(v).ok()),
        series: row.series.clone(),
    })
}

fn region_unemployment(
    region: Region,
    rows: &[domain::UnemploymentRow],
    month: YearMonth,
    series: &str,
    threshold: u64,
) -> api::RegionUnemployment {
    let now = find_row(rows, region, Some(month), series);
    let then = find_row(rows, region, month.year_earlier(), series);
    let count = |r: Option<&domain::UnemploymentRow>| match r.map(|r| r.registered_unemployed) {
        Some(Figure::Shown(v)) => Figure::from_count(v, threshold),
        _ => Figure::Suppressed,
    };
    let share_now = now.and_then(|r| r.share_bp).map(i64::from);
    let share_then = then.and_then(|r| r.share_bp).map(i64::from);
    api::RegionUnemployment {
        region: region_code(region),
        known: now.is_some(),
        registered_unemployed: Some(people_count(count(now))),
        share: signed_share(share_now),
        share_year_earlier: signed_share(share_then),
        share_change: signed_share(share_now.zip(share_then).map(|(a, b)| a - b)),
        count_change: figure_change(count(then), count(now)),
    }
}

#[tonic::async_trait]
impl RapportService for RapportApi {
    async fn get_bistand_report(
        &self,
        request: Request<api::GetBistandReportRequest>,
    ) -> Result<Response<api::GetBistandReportResponse>, Status> {
        let context = context(&request)?;
        let kommun = context.caller.kommun.as_str();
        let message = request.get_ref();
        let period = match message.month.as_ref() {
            Some(month) => {
                let (year, month) = parse_year_month(Some(month), "month")?;
                Period::Month(
                    YearMonth::new(year, month).ok_or_else(|| ServiceError::invalid("month", "out of range"))?,
                )
            }
            None if message.year != 0 => Period::Year(parse_year(message.year, "year")?),
            None => return Err(ServiceError::invalid("month", "give a month or a year").into()),
        };
        let (_, to_key) = period.month_keys();
        let count = store::households_registered_by(self.context.store.db()?, kommun, to_key).await?;
        let registered = suppress(&[count], self.threshold());
        let now = self.bistand_figures(kommun, period).await?;
        let then = self.bistand_figures(kommun, earlier(period)?).await?;
        Ok(Response::new(api::GetBistandReportResponse {
            month: message.month,
            registered_households: Some(people_count(registered.total)),
            period: encode_period(period),
            current: Some(bistand_message(&now)),
            year_earlier: Some(bistand_message(&then)),
            change: Some(api::BistandChanges {
                granted_households: figure_change(then.granted_households, now.granted_households),
                persons: figure_change(then.persons, now.persons),
                adults: figure_change(then.adults, now.adults),
                children: figure_change(then.children, now.children),
                paid: change_of(Some(then.paid_ore), Some(now.paid_ore)),
                long_term_households: figure_change(then.long_term, now.long_term),
            }),
        }))
    }

    async fn get_feed_status(
        &self,
        request: Request<api::GetFeedStatusRequest>,
    ) -> Result<Response<api::GetFeedStatusResponse>, Status> {
        let context = context(&request)?;
        let kommun = context.caller.kommun.to_string();
        let states = self.states.lock().map_err(|_| Status::internal("feed state unavailable"))?.clone();
        let db = self.context.store.db()?;
        let mut dead_letters = Vec::new();
        for producer in Producer::ALL {
            dead_letters.push(store::dead_letter_count(db, producer.name(), &kommun).await?);
        }
        let feeds = Producer::ALL
            .into_iter()
            .zip(dead_letters)
            .map(|(producer, dead_letters)| {
                let state = states.get(&(producer, kommun.clone())).cloned().unwrap_or_default();
                api::FeedStatus {
                    dead_letters,
                    producer: producer.name().to_string(),
                    applied_sequence: state.applied_sequence,
                    connected: state.connected,
                    seconds_since_last_event: state
                        .last_event
                        .map_or(0, |at| i64::try_from(Instant::now().duration_since(at).as_secs()).unwrap_or(i64::MAX)),
                    lag_seconds: state.lag_seconds,
                }
            })
            .collect();
        Ok(Response::new(api::GetFeedStatusResponse { feeds }))
    }

    async fn get_budget_report(
        &self,
        request: Request<api::GetBudgetReportRequest>,
    ) -> Result<Response<api::GetBudgetReportResponse>, Status> {
        let context = context(&request)?;
        let kommun = context.caller.kommun.as_str();
        let period = parse_period(request.get_ref().period.as_ref(), "period")?;
        let year = period.year();
        let last_month = match period {
            Period::Month(m) => m.month,
            Period::Year(_) => 12,
        };
        let (paid_by_month, budget) = self.budget(kommun, year, last_month).await?;
        let (paid_before, _) = self.budget(kommun, year - 1, last_month).await?;
        let paid_to_date: i64 = paid_by_month.iter().sum();
        let paid_to_date_before: i64 = paid_before.iter().sum();
        let allocated = budget.as_ref().map_or(0, |b| b.allocated_ore);
        let forecast = budget.as_ref().map_or(0, |b| b.forecast_ore);
        Ok(Response::new(api::GetBudgetReportResponse {
            period: encode_period(period),
            year,
            budget_known: budget.is_some(),
            allocated: money(allocated),
            paid_to_date: money(paid_to_date),
            forecast: money(forecast),
            forecast_minus_budget: money(forecast - allocated),
            forecast_vs_budget: change_of(budget.as_ref().map(|_| allocated), budget.as_ref().map(|_| forecast)),
            paid_by_month: paid_by_month.iter().map(|ore| Money { ore: *ore }).collect(),
            paid_to_date_year_earlier: money(paid_to_date_before),
            paid_to_date_change: change_of(Some(paid_to_date_before), Some(paid_to_date)),
        }))
    }

    async fn get_children_report(
        &self,
        request: Request<api::GetChildrenReportRequest>,
    ) -> Result<Response<api::GetChildrenReportResponse>, Status> {
        let context = context(&request)?;
        let kommun = context.caller.kommun.as_str();
        let period = parse_period(request.get_ref().period.as_ref(), "period")?;
        let now = self.bistand_figures(kommun, period).await?;
        let then = self.bistand_figures(kommun, earlier(period)?).await?;
        let difference = shown(now.children).zip(shown(then.children)).map(|(a, b)| a - b);
        Ok(Response::new(api::GetChildrenReportResponse {
            period: encode_period(period),
            current: Some(api::ChildrenFigures {
                children: Some(people_count(now.children)),
                households_with_children: Some(people_count(now.with_children)),
            }),
            year_earlier: Some(api::ChildrenFigures {
                children: Some(people_count(then.children)),
                households_with_children: Some(people_count(then.with_children)),
            }),
            children_change: figure_change(then.children, now.children),
            children_difference: difference.unwrap_or_default(),
            children_difference_available: difference.is_some(),
        }))
    }

    async fn get_labour_market_report(
        &self,
        request: Request<api::GetLabourMarketReportRequest>,
    ) -> Result<Response<api::GetLabourMarketReportResponse>, Status> {
        let context = context(&request)?;
        let kommun = context.caller.kommun.as_str();
        let period = parse_period(request.get_ref().period.as_ref(), "period")?;
        let now = self.labour_market_figures(kommun, period).await?;
        let then = self.labour_market_figures(kommun, earlier(period)?).await?;
        Ok(Response::new(api::GetLabourMarketReportResponse {
            period: encode_period(period),
            current: Some(labour_message(&now)),
            year_earlier: Some(labour_message(&then)),
            exits_change: figure_change(then.exits, now.exits),
        }))
    }

    async fn get_ungsam_report(
        &self,
        request: Request<api::GetUngsamReportRequest>,
    ) -> Result<Response<api::GetUngsamReportResponse>, Status> {
        let context = context(&request)?;
        let kommun = context.caller.kommun.as_str();
        let period = parse_period(request.get_ref().period.as_ref(), "period")?;
        let now = self.ungsam_figures(kommun, period).await?;
        let then = self.ungsam_figures(kommun, earlier(period)?).await?;
        Ok(Response::new(api::GetUngsamReportResponse {
            period: encode_period(period),
            current: Some(ungsam_message(&now)),
            year_earlier: Some(ungsam_message(&then)),
            identified_change: figure_change(then.identified, now.identified),
        }))
    }

    async fn import_unemployment_statistics(
        &self,
        request: Request<api::ImportUnemploymentStatisticsRequest>,
    ) -> Result<Response<api::ImportUnemploymentStatisticsResponse>, Status> {
        let context = context(&request)?;
        let import = parse_unemployment(&request.get_ref().csv)
            .map_err(|error| ServiceError::invalid("csv", error.to_string()))?;
        let rows: Vec<facts::unemployment_figure::Model> = import
            .rows
            .iter()
            .map(|row| facts::unemployment_figure::Model {
                importer: context.kommun().to_string(),
                region: region_code(row.region),
                month_key: figures::key(row.month),
                group_code: row.group.code().to_string(),
                series: row.series.clone(),
                registered_unemployed: row.registered_unemployed.shown().and_then(|v| i64::try_from(v).ok()),
                share_bp: row.share_bp.and_then(|v| i32::try_from(v).ok()),
            })
            .collect();
        let accepted = rows.len();
        queries::store_unemployment(self.context.store.db()?, rows).await?;
        Ok(Response::new(api::ImportUnemploymentStatisticsResponse {
            accepted_rows: i32::try_from(accepted).unwrap_or(i32::MAX),
            rejects: import
                .rejects
                .iter()
                .map(|reject| api::ImportReject {
                    row: i32::try_from(reject.row_number).unwrap_or(i32::MAX),
                    field: serde_json::to_value(reject.field)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    reason: reject.reason.to_string(),
                })
                .collect(),
        }))
    }

    async fn get_unemployment_comparison(
        &self,
        request: Request<api::GetUnemploymentComparisonRequest>,
    ) -> Result<Response<api::GetUnemploymentComparisonResponse>, Status> {
        let context = context(&request)?;
        let message = request.get_ref();
        let (year, month) = parse_year_month(message.month.as_ref(), "month")?;
        let month = YearMonth::new(year, month).ok_or_else(|| ServiceError::invalid("month", "out of range"))?;
        let group = group_of(message.group)?;
        let kommun = KommunCode::parse(context.caller.kommun.as_str())
            .ok_or_else(|| ServiceError::FailedPrecondition("the caller's municipality has no region code".into()))?;
        let county = kommun.county();
        let Comparison { series, rows, ranking } =
            self.unemployment_comparison(context.kommun(), kommun, month, group, &message.series).await?;
        let threshold = self.threshold();
        let ranking = ranking
            .into_iter()
            .map(|rank| api::RankedMunicipality {
                kommun: format!("{:04}", rank.kommun.value()),
                name: domain::region::kommun_name(rank.kommun).unwrap_or_default().to_string(),
                share: signed_share(rank.share_bp.map(i64::from)),
                share_change: signed_share(rank.change),
                rank: rank.rank.and_then(|r| i32::try_from(r).ok()).unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(api::GetUnemploymentComparisonResponse {
            month: message.month,
            municipality: Some(region_unemployment(Region::Municipality(kommun), &rows, month, &series, threshold)),
            county: Some(region_unemployment(Region::County(county), &rows, month, &series, threshold)),
            nation: Some(region_unemployment(Region::Nation, &rows, month, &series, threshold)),
            series,
            ranking,
        }))
    }

    async fn import_population_figures(
        &self,
        request: Request<api::ImportPopulationFiguresRequest>,
    ) -> Result<Response<api::ImportPopulationFiguresResponse>, Status> {
        let context = context(&request)?;
        let kommun = context.caller.kommun.to_string();
        let mut violations = Vec::new();
        let mut rows = Vec::new();
        for (i, figure) in request.get_ref().figures.iter().enumerate() {
            let field = |name: &str| format!("figures[{i}].{name}");
            if parse_year(figure.year, "year").is_err() {
                violations.push(FieldViolation::new(field("year"), "the year must be 1901–9999"));
            }
            for (name, value) in [
                ("residents", figure.residents),
                ("children", figure.children),
                ("n31816_population", figure.n31816_population),
            ] {
                if value < 0 {
                    violations.push(FieldViolation::new(field(name), "must not be negative"));
                }
            }
            if figure.children > figure.residents {
                violations.push(FieldViolation::new(field("children"), "more children than residents"));
            }
            rows.push(facts::population::Model {
                kommun: kommun.clone(),
                year: figure.year,
                residents: figure.residents,
                children: figure.children,
                n31816_population: figure.n31816_population,
            });
        }
        if rows.is_empty() {
            violations.push(FieldViolation::new("figures", "give at least one year"));
        }
        if !violations.is_empty() {
            return Err(ServiceError::InvalidArgument(violations).into());
        }
        let stored = rows.len();
        queries::store_population(self.context.store.db()?, rows).await?;
        Ok(Response::new(api::ImportPopulationFiguresResponse { stored_years: i32::try_from(stored).unwrap_or(0) }))
    }

    async fn export_kolada_kpis(
        &self,
        request: Request<api::ExportKoladaKpisRequest>,
    ) -> Result<Response<api::ExportKoladaKpisResponse>, Status> {
        let context = context(&request)?;
        let kommun = context.caller.kommun.as_str();
        let year = parse_year(request.get_ref().year, "year")?;
        let db = self.context.store.db()?;
        let period = Period::Year(year);
        let decisions = queries::granted_decisions(db, kommun, year * 100 + 1, year * 100 + 12).await?;
        let (from, to) = dates(period)?;
        let paid = queries::paid_between(db, kommun, from, to).await?;
        let participants = queries::participants(db, kommun, from, to).await?;
        let population = queries::population_of(db, kommun, year).await?;
        let values = crate::kolada::year_values(&decisions, &paid, &participants, population.as_ref(), (from, to));
        Ok(Response::new(api::ExportKoladaKpisResponse { csv: crate::kolada::to_csv(kommun, year, &values) }))
    }

    async fn get_management_report(
        &self,
        request: Request<api::GetManagementReportRequest>,
    ) -> Result<Response<api::GetManagementReportResponse>, Status> {
        let context = context(&request)?;
        let (year, month) = parse_year_month(request.get_ref().month.as_ref(), "month")?;
        let month = YearMonth::new(year, month).ok_or_else(|| ServiceError::invalid("month", "out of range"))?;
        let html = self.management_report(context.caller.kommun.as_str(), month).await?;
        Ok(Response::new(api::GetManagementReportResponse { html }))
    }
}
