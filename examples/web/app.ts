// A case worker's view of one household's case history in bistand, over gRPC-Web with the TypeScript stubs
// of `make stubs` (gen/ts). Bundled by scripts/web.sh into dist/app.js.
//
// Sign in with a dev token (`trappan token --role socialsekreterare --kommun 0767`) in the form. The same can
// be given in the address's fragment, which the browser never sends to the web server, so a token in it is
// not written to that server's access log: #endpoint=URL&token=TOKEN&household=ID (household optional; the
// first of the list otherwise). scripts/example-client.sh loads the page that way in headless Chromium.
import { GrpcWebFetchTransport } from "@protobuf-ts/grpcweb-transport";
import { RpcError } from "@protobuf-ts/runtime-rpc";
import { BistandServiceClient } from "../../gen/ts/trappan/bistand/v1/bistand.client";
import {
  ApplicationState,
  DecisionOutcome,
  HistoryEntry,
  Household,
  MemberRole,
  PaymentStatus,
  ReferralState,
} from "../../gen/ts/trappan/bistand/v1/bistand";
import { Date as CivilDate, Money, YearMonth } from "../../gen/ts/trappan/common/v1/common";

// Every call's deadline: sent as grpc-timeout, so bistand gives up when the page has.
const DEADLINE_MS = 10_000;
// bistand's page size limit; a household's history of many years takes several pages.
const PAGE_SIZE = 500;

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function show(text: string, state: "busy" | "ready" | "error") {
  const status = element<HTMLParagraphElement>("status");
  status.textContent = text;
  status.className = state;
  // For the headless test, which reads the DOM once the page has settled.
  document.body.dataset.state = state;
}

function cell(row: HTMLTableRowElement, text: string, className?: string) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
}

const month = (m?: YearMonth) => (m ? `${m.year}-${String(m.month).padStart(2, "0")}` : "");
const day = (d?: CivilDate) =>
  d ? `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}` : "";
// Öre as a string (long_type_string) so no amount loses precision in a JavaScript number.
function kronor(money?: Money): string {
  const ore = BigInt(money?.ore ?? "0");
  const sign = ore < 0n ? "-" : "";
  const abs = ore < 0n ? -ore : ore;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, " ");
  return `${sign}${whole},${(abs % 100n).toString().padStart(2, "0")} kr`;
}
// protobuf-ts names enum values without the proto's prefix (DECISION_OUTCOME_GRANTED is GRANTED); a value
// newer than these stubs shows as its number.
const named = (names: Record<number, string>, value: number) => names[value] ?? String(value);

function historyRow(entry: HistoryEntry, rows: HTMLTableSectionElement) {
  const row = rows.insertRow();
  const e = entry.entry;
  switch (e.oneofKind) {
    case "application":
      row.dataset.kind = "application";
      cell(row, "Ansökan");
      cell(row, month(e.application.month));
      cell(row, named(ApplicationState, e.application.state));
      cell(row, "", "amount");
      cell(row, "");
      cell(row, e.application.applicationId);
      break;
    case "decision":
      row.dataset.kind = "decision";
      cell(row, "Beslut");
      cell(row, month(e.decision.month));
      cell(row, named(DecisionOutcome, e.decision.outcome));
      cell(row, kronor(e.decision.granted), "amount");
      cell(row, day(e.decision.decidedOn));
      cell(row, e.decision.decisionId);
      break;
    case "payment":
      row.dataset.kind = "payment";
      cell(row, "Utbetalning");
      cell(row, month(e.payment.month));
      cell(row, named(PaymentStatus, e.payment.status));
      cell(row, kronor(e.payment.amount), "amount");
      cell(row, day(e.payment.paidOn ?? e.payment.plannedOn));
      cell(row, e.payment.paymentId);
      break;
    case "referral":
      row.dataset.kind = "referral";
      cell(row, "Remiss");
      cell(row, "");
      cell(row, named(ReferralState, e.referral.state));
      cell(row, "", "amount");
      cell(row, "");
      cell(row, e.referral.referralId);
      break;
    default:
      // An entry kind newer than these stubs: shown as such rather than hidden.
      row.dataset.kind = "unknown";
      cell(row, "Okänd");
  }
}

async function signIn(endpoint: string, token: string, wanted: string | null) {
  const transport = new GrpcWebFetchTransport({
    baseUrl: endpoint.replace(/\/+$/, ""),
    format: "binary",
    meta: { authorization: `Bearer ${token.trim()}` },
    timeout: DEADLINE_MS,
  });
  const bistand = new BistandServiceClient(transport);
  show("Hämtar hushåll …", "busy");
  const { response: list } = await bistand.listHouseholds({ pageSize: 50, pageToken: "", onlyMine: false });
  const households = element<HTMLTableSectionElement>("household-rows");
  households.textContent = "";
  for (const household of list.households) householdRow(household, households);
  element("households").hidden = false;
  const chosen = list.households.find((h) => h.householdId === wanted) ?? list.households[0];
  if (!chosen) {
    show("Inga hushåll i kommunen.", "ready");
    return;
  }
  show("Hämtar historik …", "busy");
  const rows = element<HTMLTableSectionElement>("history-rows");
  rows.textContent = "";
  let pageToken = "";
  do {
    const { response } = await bistand.getHouseholdHistory({ householdId: chosen.householdId, pageSize: PAGE_SIZE, pageToken });
    for (const entry of response.entries) historyRow(entry, rows);
    pageToken = response.nextPageToken;
  } while (pageToken);
  element("history-household").textContent = chosen.householdId;
  element("history").hidden = false;
  show(`Inloggad; ${rows.rows.length} händelser.`, "ready");
}

function householdRow(household: Household, rows: HTMLTableSectionElement) {
  const row = rows.insertRow();
  row.dataset.household = household.householdId;
  const applicant = household.members.find((m) => m.role === MemberRole.APPLICANT) ?? household.members[0];
  cell(row, household.householdId);
  cell(row, applicant ? `${applicant.givenName} ${applicant.familyName}` : "");
  cell(row, String(household.members.length));
  cell(row, household.responsibleUnit);
}

function failed(error: unknown) {
  // The status code and message only: bistand's messages never carry personal data, and neither does this.
  if (error instanceof RpcError) show(`Fel: ${error.code}: ${error.message}`, "error");
  else show(`Fel: ${String(error)}`, "error");
}

element<HTMLFormElement>("sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn(element<HTMLInputElement>("endpoint").value, element<HTMLTextAreaElement>("token").value, null).catch(failed);
});

const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("endpoint")) element<HTMLInputElement>("endpoint").value = fragment.get("endpoint")!;
if (fragment.get("token")) {
  element<HTMLTextAreaElement>("token").value = fragment.get("token")!;
  signIn(element<HTMLInputElement>("endpoint").value, fragment.get("token")!, fragment.get("household")).catch(failed);
}
