//! A deterministic generator of realistic JSON Lines events for benchmarking `tripline hunt`.
//!
//! ```text
//! cargo run --release --example gen_events -- --bytes 1G --seed 1 --out /tmp/events.jsonl
//! cargo run --release --example gen_events -- --bytes 1G --seed 1 --mix windows --out /tmp/win.jsonl
//! ```
//!
//! Each line is one record in the raw shape the catalog recognises: Sysmon and Windows
//! Security events as EVTX exported to JSON (`{"Event":{"System":{...},"EventData":{...}}}`),
//! Microsoft 365 unified audit log records (Management Activity API), Entra ID sign-ins
//! (SigninLogs rows) and AWS CloudTrail records. Hosts, users, images, command lines, IP
//! addresses and so on are drawn from pools; timestamps increase over about three days. A
//! small share of the lines (`--match-rate`, 0.001 by default) are the `expect match` test
//! events of the rules in `--rules DIR` (default `rules`), Windows ones put into the EVTX
//! shape; `--match-dir DIR` adds every `*.json` EVTX event under DIR (e.g. SigmaHQ's
//! regression data, read at run time, never copied) to that pool.
//!
//! Mixes: `all` (the default: every kind above) and `windows` (Sysmon and Security only, for
//! the SigmaHQ Windows rules). The same arguments give the same bytes. `--flat` writes the
//! Windows events as flat objects instead (`{"EventID":1,"Channel":...,"Image":...}`, the
//! header fields rules use beside the EventData fields), the same events for the same seed,
//! for engines that read no EVTX JSON; with `--events N` (and the same `--bytes`, which sets
//! the clock's pace) it stops after N events instead of at the size, so a flat file holds the
//! same events as the EVTX one.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::{Map, Value};

/// xoshiro256** seeded with SplitMix64: fast, deterministic, no dependency.
struct Rng([u64; 4]);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            x ^ (x >> 31)
        };
        Rng([next(), next(), next(), next()])
    }
    fn u64(&mut self) -> u64 {
        let s = &mut self.0;
        let r = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        r
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((self.u64() >> 32) * n) >> 32
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    /// A skewed pick: low indices much more often (a few hosts and users make most events).
    fn skewed(&mut self, n: usize) -> usize {
        let a = self.below(n as u64);
        let b = self.below(n as u64);
        a.min(b) as usize
    }
    fn hex(&mut self, out: &mut String, n: usize, upper: bool) {
        const L: &[u8] = b"0123456789abcdef";
        const U: &[u8] = b"0123456789ABCDEF";
        let t = if upper { U } else { L };
        let mut x = self.u64();
        for i in 0..n {
            if i % 16 == 15 {
                x = self.u64();
            }
            out.push(t[(x & 15) as usize] as char);
            x >>= 4;
        }
    }
    fn guid(&mut self, out: &mut String, upper: bool) {
        for (i, n) in [8, 4, 4, 4, 12].into_iter().enumerate() {
            if i > 0 {
                out.push('-');
            }
            self.hex(out, n, upper);
        }
    }
}

/// `s` as the inside of a JSON string (serde_json's escaping).
fn esc(out: &mut String, s: &str) {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    out.push_str(&quoted[1..quoted.len() - 1]);
}

/// The clock: microseconds since the epoch, and its renderings.
#[derive(Clone, Copy)]
struct Ts(i64);

impl Ts {
    fn parts(self) -> (i64, u32, u32, i64, i64, i64, i64) {
        let secs = self.0.div_euclid(1_000_000);
        let us = self.0.rem_euclid(1_000_000);
        // The library's clock: `YYYY-MM-DDTHH:MM:SSZ`.
        let t = tripline::time::format(secs * 1000);
        let n = |r: std::ops::Range<usize>| t[r].parse::<i64>().unwrap_or(0);
        (
            n(0..4),
            n(5..7) as u32,
            n(8..10) as u32,
            n(11..13),
            n(14..16),
            n(17..19),
            us,
        )
    }
    /// `2026-11-20T08:01:02.123456Z` (EVTX SystemTime).
    fn system(self, out: &mut String) {
        let (y, mo, d, h, mi, s, us) = self.parts();
        let _ = write!(out, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}Z");
    }
    /// `2026-11-20 08:01:02.123` (Sysmon UtcTime).
    fn sysmon(self, out: &mut String) {
        let (y, mo, d, h, mi, s, us) = self.parts();
        let _ = write!(
            out,
            "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:03}",
            us / 1000
        );
    }
    /// `2026-11-20T08:01:02` (M365 CreationTime).
    fn plain(self, out: &mut String) {
        let (y, mo, d, h, mi, s, _) = self.parts();
        let _ = write!(out, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
    }
    /// `2026-11-20T08:01:02Z` (CloudTrail eventTime, sign-in CreatedDateTime).
    fn zulu(self, out: &mut String) {
        self.plain(out);
        out.push('Z');
    }
}

const SYSMON_GUID: &str = "5770385F-C22A-43E0-BF4C-06F5698FFBD9";
const SECURITY_GUID: &str = "54849625-5478-4994-A5BA-3E3B0328C30D";

const FIRST: &[&str] = &[
    "james",
    "mary",
    "john",
    "patricia",
    "robert",
    "jennifer",
    "michael",
    "linda",
    "william",
    "elizabeth",
    "david",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "daniel",
    "nancy",
    "matthew",
    "lisa",
    "anthony",
    "betty",
    "mark",
    "sandra",
    "paul",
    "ashley",
    "steven",
    "kimberly",
    "andrew",
    "emily",
    "kenneth",
    "donna",
    "joshua",
    "michelle",
    "kevin",
    "carol",
    "brian",
    "amanda",
    "george",
    "melissa",
    "timothy",
    "deborah",
    "ronald",
    "stephanie",
    "jason",
    "rebecca",
    "aisha",
    "hiro",
    "lena",
    "mateo",
    "priya",
    "chen",
    "olga",
    "tariq",
    "ines",
    "kofi",
];
const LAST: &[&str] = &[
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
    "clark",
    "ramirez",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "torres",
    "nguyen",
    "hill",
    "flores",
    "green",
    "adams",
    "nelson",
    "baker",
    "hall",
    "rivera",
    "campbell",
    "mitchell",
    "carter",
    "roberts",
    "mueller",
    "rossi",
    "dubois",
    "kowalski",
    "tanaka",
    "singh",
    "okafor",
    "silva",
    "novak",
    "berg",
];
const DEPTS: &[&str] = &[
    "FIN", "HR", "ENG", "OPS", "SALES", "MKT", "LEGAL", "IT", "RND", "SUP",
];
const DOMAIN: &str = "CONTOSO";
const UPN_DOMAIN: &str = "contoso.example";

/// (image, OriginalFileName, Description, Product, Company, command-line templates). In the
/// templates `{u}` is the user's name, `{h}` a host, `{n}` a number, `{g}` a GUID.
type Image = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);
const IMAGES: &[Image] = &[
    ("C:\\Windows\\System32\\svchost.exe", "svchost.exe", "Host Process for Windows Services", "Microsoft® Windows® Operating System", "Microsoft Corporation",
        &["C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", "C:\\Windows\\system32\\svchost.exe -k LocalServiceNetworkRestricted -p -s EventLog", "C:\\Windows\\System32\\svchost.exe -k wsappx -p -s AppXSvc", "C:\\Windows\\system32\\svchost.exe -k UnistackSvcGroup -s CDPUserSvc_{n}"]),
    ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "chrome.exe", "Google Chrome", "Google Chrome", "Google LLC",
        &["\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer --lang=en-US --renderer-client-id={n} --time-ticks-at-unix-epoch=-1700000000{n} --launch-time-ticks={n} --field-trial-handle=1960,i,{n},{n},262144 --mojo-platform-channel-handle={n} /prefetch:1", "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle={n} /prefetch:8"]),
    ("C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", "msedge.exe", "Microsoft Edge", "Microsoft Edge", "Microsoft Corporation",
        &["\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --type=renderer --instant-process --lang=en-US --js-flags=--ms-user-locale= --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id={n} --mojo-platform-channel-handle={n} /prefetch:1", "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --no-startup-window --win-session-start"]),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", "outlook.exe", "Microsoft Outlook", "Microsoft Office", "Microsoft Corporation",
        &["\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\OUTLOOK.EXE\" ", "\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\OUTLOOK.EXE\" /recycle"]),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE", "excel.exe", "Microsoft Excel", "Microsoft Office", "Microsoft Corporation",
        &["\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\EXCEL.EXE\" \"C:\\Users\\{u}\\OneDrive - Contoso\\Reports\\Q{n}-forecast.xlsx\"", "\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\EXCEL.EXE\" /dde"]),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE", "WinWord.exe", "Microsoft Word", "Microsoft Office", "Microsoft Corporation",
        &["\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\WINWORD.EXE\" /n \"C:\\Users\\{u}\\Documents\\minutes-{n}.docx\" /o \"\""]),
    ("C:\\Windows\\System32\\conhost.exe", "CONHOST.EXE", "Console Window Host", "Microsoft® Windows® Operating System", "Microsoft Corporation",
        &["\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1", "\\??\\C:\\Windows\\system32\\conhost.exe 0x4"]),
    ("C:\\Windows\\System32\\RuntimeBroker.exe", "RuntimeBroker.exe", "Runtime Broker", "Microsoft® Windows® Operating System", "Microsoft Corporation",
        &["C:\\Windows\\System32\\RuntimeBroker.exe -Embedding"]),
    ("C:\\Windows\\System32\\backgroundTaskHost.exe", "backgroundTaskHost.exe", "Background Task Host", "Microsoft® Windows® Operating System", "Microsoft Corporation",
        &["\"C:\\Windows\\system32\\backgroundTaskHost.exe\" -ServerName:BackgroundTaskHost.WebAccountProvider", "\"C:\\Windows\\system32\\BackgroundTaskHost.exe\" -ServerName:App.AppXmtcan0h2tfbfy7k9kn8hbxb6dmzz1zh0.mca"]),
    ("C:\\Windows\\System32\\taskhostw.exe", "taskhostw.exe", "Host Process for Windows Tasks", "Microsoft® Windows® Operating System", "Microsoft Corporation",
        &["taskhostw.exe {g}", "taskhostw.exe Install $(Arg0)"]),
    ("C:\\Windows\\System32\\SearchProtocolHost.exe", "SearchProtocolHost.exe", "Microsoft Windows Search Protocol Host", "Windows® Search", "Microsoft Corporation",
        &["\"C:\\Windows\\system32\\SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe{n}_ Global\\UsGthrCtrlFltPipeMssGthrPipe{n} 1 -2147483646 \"Software\\Microsoft\\Windows Search\" \"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)\" \"C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc\" \"DownLevelDaemon\" "]),
    ("C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe", "OneDrive.exe", "Microsoft OneDrive", "Microsoft OneDrive", "Microsoft Corporation",
        &["\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /background", "\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /updateInstalled /background"]),
    ("C:\\Users\\{u}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe", "Teams.exe", "Microsoft Teams", "Microsoft Teams", "Microsoft Corporation",
        &["\"C:\\Users\\{u}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe\" --type=renderer --autoplay-policy=no-user-gesture-required --disable-background-timer-throttling --enable-features=WebComponentsV0Enabled --lang=en-US --renderer-client-id={n} --mojo-platform-channel-handle={n} /prefetch:1"]),
    ("C:\\Windows\\System32\\cmd.exe", "Cmd.Exe", "Windows Command Processor", "Microsoft® Windows® Operating System", "Microsoft Corporation",
        &["C:\\Windows\\system32\\cmd.exe /c \"\"C:\\ProgramData\\Contoso\\scripts\\logon-{n}.cmd\"\"", "cmd.exe /c echo %date% %time% >> C:\\Windows\\Temp\\backup-{n}.log", "C:\\Windows\\system32\\cmd.exe /d /c git rev-parse --abbrev-ref HEAD"]),
    ("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "PowerShell.EXE", "Windows PowerShell", "Microsoft® Windows® Operating System", "Microsoft Corporation",
        &["\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -NoProfile -ExecutionPolicy Bypass -File \"C:\\Program Files\\Contoso\\Agent\\healthcheck.ps1\"", "powershell.exe -NoLogo -NonInteractive -Command Get-Service -Name Spooler | Select-Object Status", "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" "]),
    ("C:\\Windows\\System32\\wbem\\WmiPrvSE.exe", "Wmiprvse.exe", "WMI Provider Host", "Microsoft® Windows® Operating System", "Microsoft Corporation",
        &["C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding", "C:\\Windows\\system32\\wbem\\wmiprvse.exe -Embedding"]),
    ("C:\\Windows\\System32\\msiexec.exe", "msiexec.exe", "Windows® installer", "Windows Installer - Unicode", "Microsoft Corporation",
        &["C:\\Windows\\system32\\msiexec.exe /V", "C:\\Windows\\System32\\MsiExec.exe -Embedding {g} E Global\\MSI0000"]),
    ("C:\\Program Files\\Windows Defender\\MsMpEng.exe", "MsMpEng.exe", "Antimalware Service Executable", "Microsoft® Windows® Operating System", "Microsoft Corporation",
        &["\"C:\\ProgramData\\Microsoft\\Windows Defender\\platform\\4.18.24090.11-0\\MsMpEng.exe\""]),
    ("C:\\Windows\\System32\\git.exe", "git.exe", "Git for Windows", "Git", "The Git Development Community",
        &["git.exe fetch --prune origin", "git.exe status --porcelain=v2 --branch", "git.exe -c core.quotepath=false log --format=%H -n {n}"]),
    ("C:\\Program Files\\Microsoft VS Code\\Code.exe", "electron.exe", "Visual Studio Code", "Visual Studio Code", "Microsoft Corporation",
        &["\"C:\\Program Files\\Microsoft VS Code\\Code.exe\" --type=utility --utility-sub-type=node.mojom.NodeService --lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle={n} --field-trial-handle=1864,i,{n},{n},262144 /prefetch:8"]),
    ("C:\\Windows\\System32\\dllhost.exe", "dllhost.exe", "COM Surrogate", "Microsoft® Windows® Operating System", "Microsoft Corporation",
        &["C:\\Windows\\system32\\DllHost.exe /Processid:{{{g}}}"]),
    ("C:\\Windows\\System32\\sc.exe", "sc.exe", "Service Control Manager Configuration Tool", "Microsoft® Windows® Operating System", "Microsoft Corporation",
        &["sc.exe query wuauserv", "sc.exe qc Spooler"]),
    ("C:\\Program Files\\7-Zip\\7z.exe", "7z.exe", "7-Zip Console", "7-Zip", "Igor Pavlov",
        &["\"C:\\Program Files\\7-Zip\\7z.exe\" x \"C:\\Users\\{u}\\Downloads\\release-{n}.zip\" -o\"C:\\Users\\{u}\\Downloads\\release-{n}\" -y"]),
];
const PARENTS: &[(&str, &str)] = &[
    ("C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE"),
    (
        "C:\\Windows\\System32\\services.exe",
        "C:\\Windows\\system32\\services.exe",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p",
    ),
    (
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" ",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\system32\\cmd.exe",
    ),
    (
        "C:\\Program Files\\Microsoft VS Code\\Code.exe",
        "\"C:\\Program Files\\Microsoft VS Code\\Code.exe\" ",
    ),
];
/// A plausible parent for `image` (an index into PARENTS): services for svchost and the
/// Defender engine, the DCOM launcher for COM servers, the shell for what users start.
fn parent_of(rng: &mut Rng, image: &str) -> (&'static str, &'static str) {
    let name = image
        .rsplit('\\')
        .next()
        .unwrap_or(image)
        .to_ascii_lowercase();
    let i = match name.as_str() {
        "svchost.exe" | "msmpeng.exe" | "sc.exe" => 1,
        "runtimebroker.exe"
        | "backgroundtaskhost.exe"
        | "dllhost.exe"
        | "wmiprvse.exe"
        | "searchprotocolhost.exe"
        | "taskhostw.exe"
        | "msiexec.exe" => 2,
        "chrome.exe" if rng.chance(0.9) => 3,
        "conhost.exe" => 4,
        "code.exe" => 5,
        "git.exe" if rng.chance(0.5) => 5,
        "git.exe" => 4,
        _ => 0,
    };
    PARENTS[i]
}
const NET_WEB: &[&str] = &[
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
    "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe",
    "C:\\Users\\{u}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe",
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Program Files\\Microsoft VS Code\\Code.exe",
    "C:\\Program Files\\Windows Defender\\MsMpEng.exe",
];
const DLLS: &[&str] = &[
    "C:\\Windows\\System32\\ntdll.dll",
    "C:\\Windows\\System32\\kernel32.dll",
    "C:\\Windows\\System32\\KernelBase.dll",
    "C:\\Windows\\System32\\user32.dll",
    "C:\\Windows\\System32\\advapi32.dll",
    "C:\\Windows\\System32\\combase.dll",
    "C:\\Windows\\System32\\crypt32.dll",
    "C:\\Windows\\System32\\winhttp.dll",
    "C:\\Windows\\System32\\bcrypt.dll",
    "C:\\Windows\\System32\\ws2_32.dll",
    "C:\\Windows\\System32\\dwrite.dll",
    "C:\\Windows\\System32\\uxtheme.dll",
    "C:\\Windows\\System32\\wintrust.dll",
    "C:\\Windows\\System32\\shell32.dll",
    "C:\\Windows\\System32\\ole32.dll",
];
const FILE_TARGETS: &[&str] = &[
    "C:\\Users\\{u}\\AppData\\Local\\Temp\\~DF{h}.TMP",
    "C:\\Users\\{u}\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache\\Cache_Data\\f_{h}",
    "C:\\Users\\{u}\\AppData\\Roaming\\Microsoft\\Windows\\Recent\\report-{n}.lnk",
    "C:\\Users\\{u}\\Downloads\\invoice-{n}.pdf",
    "C:\\Users\\{u}\\OneDrive - Contoso\\Documents\\notes-{n}.docx",
    "C:\\Windows\\Temp\\MpCmdRun-{n}.log",
    "C:\\Windows\\Prefetch\\SVCHOST.EXE-{h}.pf",
    "C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\CacheManager\\{h}.bin",
    "C:\\Users\\{u}\\AppData\\Local\\Microsoft\\Outlook\\RoamCache\\Stream_Autocomplete_0_{h}.dat",
];
const REG_KEYS: &[&str] = &[
    "HKU\\S-1-5-21-{n}-1001\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\UserAssist\\{{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}}\\Count\\HRZR_PGYFRFFVBA",
    "HKLM\\System\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\S-1-5-21-{n}-1001\\\\Device\\HarddiskVolume3\\Windows\\System32\\notepad.exe",
    "HKU\\S-1-5-21-{n}-1001\\SOFTWARE\\Microsoft\\Office\\16.0\\Common\\Roaming\\Identities\\{h}\\LastSyncTime",
    "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates\\SignaturesLastUpdated",
    "HKU\\S-1-5-21-{n}-1001\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\FeatureUsage\\AppSwitched\\Microsoft.Office.OUTLOOK.EXE.15",
];
const DNS_NAMES: &[&str] = &[
    "www.google.com",
    "outlook.office365.com",
    "login.microsoftonline.com",
    "graph.microsoft.com",
    "teams.microsoft.com",
    "contoso.sharepoint.com",
    "settings-win.data.microsoft.com",
    "v10.events.data.microsoft.com",
    "github.com",
    "api.github.com",
    "fonts.gstatic.com",
    "update.googleapis.com",
    "ctldl.windowsupdate.com",
    "wpad.contoso.example",
    "dc01.contoso.example",
    "fileserver02.contoso.example",
    "cdn.jsdelivr.net",
    "slack.com",
    "zoom.us",
    "s3.amazonaws.com",
];
const DNS_RESULTS: &[&str] = &[
    "type:  5 www3.l.google.com;::ffff:142.250.185.100;",
    "::ffff:52.97.146.162;::ffff:52.97.212.34;::ffff:40.99.150.82;",
    "type:  5 login.mso.msidentity.com;type:  5 ak.privatelink.msidentity.com;::ffff:20.190.159.4;",
    "::ffff:10.10.0.11;",
    "::ffff:140.82.121.4;",
];
const M365_APPS: &[&str] = &[
    "00000002-0000-0ff1-ce00-000000000000",
    "5d661950-3475-41cd-a2c3-d671a3162bc1",
    "27922004-5251-4030-b22d-91ecd9a37ea4",
    "d3590ed6-52b3-4102-aeff-aad2292ab01c",
    "00000003-0000-0000-c000-000000000000",
];
const CLIENT_INFO: &[&str] = &[
    "Client=OWA;Action=ViaProxy",
    "Client=MSExchangeRPC",
    "Client=REST;Client=RESTSystem;;",
    "Client=OutlookService;Outlook-iOS/2.0;",
    "Client=Microsoft Outlook 16.0.17928.20114",
];
const SP_OPS: &[&str] = &[
    "FileAccessed",
    "FileModified",
    "FileDownloaded",
    "FilePreviewed",
    "FileUploaded",
];
const EXO_OPS: &[&str] = &[
    "Send",
    "MoveToDeletedItems",
    "SoftDelete",
    "Update",
    "Create",
];
const SIGNIN_APPS: &[(&str, &str)] = &[
    (
        "Office 365 Exchange Online",
        "00000002-0000-0ff1-ce00-000000000000",
    ),
    ("Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264"),
    (
        "Office365 Shell WCSS-Client",
        "89bee1f7-5e6e-4d8a-9f3d-ecd601259da7",
    ),
    ("Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c"),
    ("Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"),
    (
        "OneDrive SyncEngine",
        "ab9b8c07-8f02-4f72-87fa-80105867a763",
    ),
];
const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("Seattle", "Washington", "US"),
    ("London", "England", "GB"),
    ("Dublin", "Dublin", "IE"),
    ("Berlin", "Berlin", "DE"),
    ("Singapore", "Singapore", "SG"),
    ("Toronto", "Ontario", "CA"),
];
/// (eventSource, eventName, readOnly)
const CT_CALLS: &[(&str, &str, bool)] = &[
    ("s3.amazonaws.com", "GetObject", true),
    ("s3.amazonaws.com", "PutObject", false),
    ("s3.amazonaws.com", "ListBuckets", true),
    ("ec2.amazonaws.com", "DescribeInstances", true),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", true),
    ("sts.amazonaws.com", "AssumeRole", true),
    ("sts.amazonaws.com", "GetCallerIdentity", true),
    ("iam.amazonaws.com", "ListRoles", true),
    ("kms.amazonaws.com", "Decrypt", true),
    ("kms.amazonaws.com", "GenerateDataKey", true),
    ("lambda.amazonaws.com", "Invoke", false),
    ("logs.amazonaws.com", "PutLogEvents", false),
    ("dynamodb.amazonaws.com", "DescribeTable", true),
    ("ssm.amazonaws.com", "GetParameter", true),
];
const REGIONS: &[&str] = &[
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
];
const ACCOUNTS: &[&str] = &["111122223333", "444455556666", "777788889999"];

/// The kinds of records, with their weights per mix.
#[derive(Clone, Copy)]
enum Kind {
    SysmonProc,
    SysmonNet,
    SysmonFile,
    SysmonImage,
    SysmonReg,
    SysmonDns,
    Sec4624,
    Sec4625,
    Sec4688,
    Sec4672,
    M365Mail,
    M365Sp,
    M365Exo,
    SignIn,
    CloudTrail,
}

const MIX_ALL: &[(Kind, u32)] = &[
    (Kind::SysmonProc, 14),
    (Kind::SysmonNet, 9),
    (Kind::SysmonFile, 8),
    (Kind::SysmonImage, 6),
    (Kind::SysmonReg, 5),
    (Kind::SysmonDns, 5),
    (Kind::Sec4624, 7),
    (Kind::Sec4625, 2),
    (Kind::Sec4688, 5),
    (Kind::Sec4672, 3),
    (Kind::M365Mail, 8),
    (Kind::M365Sp, 5),
    (Kind::M365Exo, 3),
    (Kind::SignIn, 8),
    (Kind::CloudTrail, 12),
];
const MIX_WINDOWS: &[(Kind, u32)] = &[
    (Kind::SysmonProc, 22),
    (Kind::SysmonNet, 14),
    (Kind::SysmonFile, 12),
    (Kind::SysmonImage, 10),
    (Kind::SysmonReg, 8),
    (Kind::SysmonDns, 8),
    (Kind::Sec4624, 11),
    (Kind::Sec4625, 3),
    (Kind::Sec4688, 8),
    (Kind::Sec4672, 4),
];

struct Host {
    name: String,
    ip: String,
}

struct User {
    sam: String,
    upn: String,
    sid: String,
    guid: String,
}

struct Gen {
    rng: Rng,
    now: i64,
    step: i64,
    record_id: u64,
    hosts: Vec<Host>,
    users: Vec<User>,
    matches: Vec<String>,
    buf: String,
    /// Windows events as flat objects (header and EventData fields side by side).
    flat: bool,
}

fn fill(rng: &mut Rng, out: &mut String, tpl: &str, user: &str) {
    let mut rest = tpl;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let t = &rest[i..];
        rest = if let Some(r) = t.strip_prefix("{{") {
            out.push('{');
            r
        } else if let Some(r) = t.strip_prefix("{u}") {
            out.push_str(user);
            r
        } else if let Some(r) = t.strip_prefix("{n}") {
            let _ = write!(out, "{}", rng.range(1, 99_999));
            r
        } else if let Some(r) = t.strip_prefix("{h}") {
            rng.hex(out, 8, true);
            r
        } else if let Some(r) = t.strip_prefix("{g}") {
            rng.guid(out, true);
            r
        } else {
            out.push('{');
            &t[1..]
        };
    }
    out.push_str(rest.replace("}}", "}").as_str());
}

/// `tpl` filled in, then JSON-escaped into `out`.
fn fill_esc(rng: &mut Rng, out: &mut String, tpl: &str, user: &str) {
    let mut s = String::with_capacity(tpl.len() + 32);
    fill(rng, &mut s, tpl, user);
    esc(out, &s);
}

impl Gen {
    fn new(seed: u64, events_estimate: u64, matches: Vec<String>) -> Self {
        let mut rng = Rng::new(seed);
        let mut hosts = Vec::new();
        for i in 0..600u32 {
            let name = if i < 12 {
                format!(
                    "SRV-{}{:02}",
                    ["DC", "FS", "SQL", "APP"][i as usize % 4],
                    i / 4 + 1
                )
            } else {
                format!("WS-{}-{:04}", rng.pick(DEPTS), rng.range(1, 9999))
            };
            let ip = format!(
                "10.{}.{}.{}",
                rng.range(10, 40),
                rng.range(0, 255),
                rng.range(2, 254)
            );
            hosts.push(Host { name, ip });
        }
        let mut users = Vec::new();
        for _ in 0..2500 {
            let (f, l) = (*rng.pick(FIRST), *rng.pick(LAST));
            let sam = format!("{f}.{l}");
            let upn = format!("{sam}@{UPN_DOMAIN}");
            let sid = format!(
                "S-1-5-21-3623811015-3361044348-30300820-{}",
                rng.range(1100, 99_999)
            );
            let mut guid = String::new();
            rng.guid(&mut guid, false);
            users.push(User {
                sam,
                upn,
                sid,
                guid,
            });
        }
        // About three days of events, whatever the size.
        let span_us: i64 = 3 * 86_400 * 1_000_000;
        let step = (span_us / events_estimate.max(1) as i64).max(1);
        Gen {
            rng,
            now: 1_795_651_200_000_000, // 2026-11-26T00:00:00Z
            step,
            record_id: 1_000_000,
            hosts,
            users,
            matches,
            buf: String::with_capacity(4096),
            flat: false,
        }
    }

    fn tick(&mut self) -> Ts {
        self.now += self.rng.range(0, 2 * self.step as u64) as i64;
        Ts(self.now)
    }

    fn pub_ip(&mut self) -> String {
        loop {
            let a = self.rng.range(13, 223);
            if a != 127 && a != 10 && a != 172 && a != 192 && a != 100 {
                return format!(
                    "{}.{}.{}.{}",
                    a,
                    self.rng.range(0, 255),
                    self.rng.range(0, 255),
                    self.rng.range(1, 254)
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn evtx_head(
        &mut self,
        provider: &str,
        guid: &str,
        id: u32,
        task: u32,
        channel: &str,
        host: usize,
        ts: Ts,
        sec_uid: Option<&str>,
    ) {
        self.record_id += 1;
        let b = &mut self.buf;
        if self.flat {
            // The same draws as the EVTX shape, so a seed gives the same events in both.
            let (_, _) = (self.rng.range(600, 9000), self.rng.range(600, 12000));
            let _ = write!(b, "{{\"EventID\":{id},\"Channel\":\"{channel}\",\"Provider_Name\":\"{provider}\",\"Computer\":\"{}.{UPN_DOMAIN}\",\"EventRecordID\":{},\"SystemTime\":\"", self.hosts[host].name, self.record_id);
            ts.system(b);
            b.push_str("\",");
            let _ = (guid, task, sec_uid);
            return;
        }
        let _ = write!(b, "{{\"Event\":{{\"#attributes\":{{\"xmlns\":\"http://schemas.microsoft.com/win/2004/08/events/event\"}},\"System\":{{\"Provider\":{{\"#attributes\":{{\"Name\":\"{provider}\",\"Guid\":\"{guid}\"}}}},\"EventID\":{id},\"Version\":{},\"Level\":{},\"Task\":{task},\"Opcode\":0,\"Keywords\":\"{}\",\"TimeCreated\":{{\"#attributes\":{{\"SystemTime\":\"",
            if channel == "Security" { 2 } else { 5 },
            if channel == "Security" { 0 } else { 4 },
            if channel == "Security" { if id == 4625 { "0x8010000000000000" } else { "0x8020000000000000" } } else { "0x8000000000000000" });
        ts.system(b);
        let _ = write!(b, "\"}}}},\"EventRecordID\":{},\"Correlation\":null,\"Execution\":{{\"#attributes\":{{\"ProcessID\":{},\"ThreadID\":{}}}}},\"Channel\":\"{channel}\",\"Computer\":\"{}.{UPN_DOMAIN}\",\"Security\":",
            self.record_id, self.rng.range(600, 9000), self.rng.range(600, 12000), self.hosts[host].name);
        match sec_uid {
            Some(u) => {
                let _ = write!(b, "{{\"#attributes\":{{\"UserID\":\"{u}\"}}}}");
            }
            None => b.push_str("null"),
        }
        b.push_str("},\"EventData\":{");
    }

    fn sysmon_head(&mut self, id: u32, host: usize, ts: Ts) {
        self.evtx_head(
            "Microsoft-Windows-Sysmon",
            SYSMON_GUID,
            id,
            id,
            "Microsoft-Windows-Sysmon/Operational",
            host,
            ts,
            Some("S-1-5-18"),
        );
        self.buf.push_str("\"RuleName\":\"");
        self.buf.push_str(if self.rng.chance(0.2) {
            "technique_id=T1059,technique_name=Command and Scripting Interpreter"
        } else {
            "-"
        });
        self.buf.push_str("\",\"UtcTime\":\"");
        ts.sysmon(&mut self.buf);
        self.buf.push_str("\",\"ProcessGuid\":\"");
        self.rng.guid(&mut self.buf, true);
        let _ = write!(self.buf, "\",\"ProcessId\":{}", self.rng.range(300, 30000));
    }

    fn end_evtx(&mut self) {
        self.buf.push_str(if self.flat { "}" } else { "}}}" });
    }

    fn image(&mut self) -> usize {
        self.rng.skewed(IMAGES.len())
    }

    fn user_str(&self, host: usize, user: usize, system: bool) -> String {
        if system {
            "NT AUTHORITY\\SYSTEM".into()
        } else {
            let _ = host;
            format!("{DOMAIN}\\{}", self.users[user].sam)
        }
    }

    fn emit(&mut self, kind: Kind) {
        self.buf.clear();
        let ts = self.tick();
        let host = self.rng.skewed(self.hosts.len());
        let user = self.rng.skewed(self.users.len());
        match kind {
            Kind::SysmonProc => self.sysmon_proc(host, user, ts),
            Kind::SysmonNet => self.sysmon_net(host, user, ts),
            Kind::SysmonFile => self.sysmon_file(host, user, ts),
            Kind::SysmonImage => self.sysmon_image(host, user, ts),
            Kind::SysmonReg => self.sysmon_reg(host, user, ts),
            Kind::SysmonDns => self.sysmon_dns(host, user, ts),
            Kind::Sec4624 | Kind::Sec4625 => {
                self.sec_logon(host, user, ts, matches!(kind, Kind::Sec4625))
            }
            Kind::Sec4688 => self.sec_4688(host, user, ts),
            Kind::Sec4672 => self.sec_4672(host, user, ts),
            Kind::M365Mail => self.m365_mail(user, ts),
            Kind::M365Sp => self.m365_sp(user, ts),
            Kind::M365Exo => self.m365_exo(user, ts),
            Kind::SignIn => self.signin(user, ts),
            Kind::CloudTrail => self.cloudtrail(user, ts),
        }
    }

    fn sysmon_proc(&mut self, host: usize, user: usize, ts: Ts) {
        self.sysmon_head(1, host, ts);
        let im = IMAGES[self.image()];
        let system = im.0.contains("System32") && self.rng.chance(0.5);
        let sam = self.users[user].sam.clone();
        let b = &mut self.buf;
        b.push_str(",\"Image\":\"");
        fill_esc(&mut self.rng, b, im.0, &sam);
        let _ = write!(b, "\",\"FileVersion\":\"{}.{}.{}.{}\",\"Description\":\"{}\",\"Product\":\"{}\",\"Company\":\"{}\",\"OriginalFileName\":\"{}\",\"CommandLine\":\"",
            10 + self.rng.below(7), self.rng.below(4), self.rng.range(19041, 26100), self.rng.below(5000), im.2, im.3, im.4, im.1);
        let tpl = *self.rng.pick(im.5);
        fill_esc(&mut self.rng, b, tpl, &sam);
        b.push_str("\",\"CurrentDirectory\":\"");
        if system {
            b.push_str("C:\\\\Windows\\\\system32\\\\");
        } else {
            let _ = write!(b, "C:\\\\Users\\\\{sam}\\\\");
        }
        let u = self.user_str(host, user, system);
        let b = &mut self.buf;
        b.push_str("\",\"User\":\"");
        esc(b, &u);
        b.push_str("\",\"LogonGuid\":\"");
        self.rng.guid(b, true);
        let _ = write!(b, "\",\"LogonId\":\"0x{:x}\",\"TerminalSessionId\":{},\"IntegrityLevel\":\"{}\",\"Hashes\":\"MD5=",
            self.rng.range(0x3e7, 0xffff_ffff), if system { 0 } else { 1 + self.rng.below(3) }, if system { "System" } else if self.rng.chance(0.1) { "High" } else { "Medium" });
        self.rng.hex(b, 32, true);
        b.push_str(",SHA256=");
        self.rng.hex(b, 64, true);
        b.push_str(",IMPHASH=");
        self.rng.hex(b, 32, true);
        b.push_str("\",\"ParentProcessGuid\":\"");
        self.rng.guid(b, true);
        let p = parent_of(&mut self.rng, im.0);
        let _ = write!(
            b,
            "\",\"ParentProcessId\":{},\"ParentImage\":\"",
            self.rng.range(300, 30000)
        );
        esc(b, p.0);
        b.push_str("\",\"ParentCommandLine\":\"");
        esc(b, p.1);
        b.push_str("\",\"ParentUser\":\"");
        esc(b, &u);
        b.push('"');
        self.end_evtx();
    }

    fn sysmon_net(&mut self, host: usize, user: usize, ts: Ts) {
        self.sysmon_head(3, host, ts);
        let port = *self
            .rng
            .pick(&[443u32, 443, 443, 443, 443, 80, 53, 445, 389, 88, 135, 8443]);
        // Who talks on which port: the shell's programs on the web ports, lsass to the
        // domain controllers' Kerberos and LDAP, svchost for DNS, RPC and SMB.
        let image = match port {
            88 | 389 => "C:\\Windows\\System32\\lsass.exe",
            53 | 135 | 445 => "C:\\Windows\\System32\\svchost.exe",
            _ => *self.rng.pick(NET_WEB),
        };
        let sam = self.users[user].sam.clone();
        let u = self.user_str(
            host,
            user,
            !image.contains("{u}") && !image.contains("Program Files"),
        );
        let dst = if matches!(port, 53 | 88 | 135 | 389 | 445) {
            self.hosts[self.rng.below(12) as usize].ip.clone()
        } else {
            self.pub_ip()
        };
        let src = self.hosts[host].ip.clone();
        let b = &mut self.buf;
        b.push_str(",\"Image\":\"");
        fill_esc(&mut self.rng, b, image, &sam);
        b.push_str("\",\"User\":\"");
        esc(b, &u);
        let _ = write!(b, "\",\"Protocol\":\"{}\",\"Initiated\":true,\"SourceIsIpv6\":false,\"SourceIp\":\"{src}\",\"SourceHostname\":\"{}.{UPN_DOMAIN}\",\"SourcePort\":{},\"SourcePortName\":\"-\",\"DestinationIsIpv6\":false,\"DestinationIp\":\"{dst}\",\"DestinationHostname\":\"{}\",\"DestinationPort\":{port},\"DestinationPortName\":\"{}\"",
            if port == 53 { "udp" } else { "tcp" }, self.hosts[host].name, self.rng.range(49152, 65535), if port == 443 { *self.rng.pick(DNS_NAMES) } else { "-" },
            match port { 443 => "https", 80 => "http", 53 => "domain", 445 => "microsoft-ds", 389 => "ldap", 88 => "kerberos", _ => "-" });
        self.end_evtx();
    }

    fn sysmon_file(&mut self, host: usize, user: usize, ts: Ts) {
        self.sysmon_head(11, host, ts);
        let im = IMAGES[self.image()];
        let sam = self.users[user].sam.clone();
        let u = self.user_str(host, user, false);
        let b = &mut self.buf;
        b.push_str(",\"Image\":\"");
        fill_esc(&mut self.rng, b, im.0, &sam);
        b.push_str("\",\"TargetFilename\":\"");
        let t = *self.rng.pick(FILE_TARGETS);
        fill_esc(&mut self.rng, b, t, &sam);
        b.push_str("\",\"CreationUtcTime\":\"");
        Ts(ts.0 - 1000).sysmon(b);
        b.push_str("\",\"User\":\"");
        esc(b, &u);
        b.push('"');
        self.end_evtx();
    }

    fn sysmon_image(&mut self, host: usize, user: usize, ts: Ts) {
        self.sysmon_head(7, host, ts);
        let im = IMAGES[self.image()];
        let sam = self.users[user].sam.clone();
        let u = self.user_str(host, user, false);
        let dll = *self.rng.pick(DLLS);
        let b = &mut self.buf;
        b.push_str(",\"Image\":\"");
        fill_esc(&mut self.rng, b, im.0, &sam);
        b.push_str("\",\"ImageLoaded\":\"");
        esc(b, dll);
        let name = dll.rsplit('\\').next().unwrap_or(dll);
        let _ = write!(b, "\",\"FileVersion\":\"10.0.{}.{}\",\"Description\":\"Windows library\",\"Product\":\"Microsoft® Windows® Operating System\",\"Company\":\"Microsoft Corporation\",\"OriginalFileName\":\"{name}\",\"Hashes\":\"SHA1=", self.rng.range(19041, 26100), self.rng.below(5000));
        self.rng.hex(b, 40, true);
        b.push_str(",MD5=");
        self.rng.hex(b, 32, true);
        b.push_str(",SHA256=");
        self.rng.hex(b, 64, true);
        b.push_str(",IMPHASH=");
        self.rng.hex(b, 32, true);
        b.push_str("\",\"Signed\":\"true\",\"Signature\":\"Microsoft Windows\",\"SignatureStatus\":\"Valid\",\"User\":\"");
        esc(b, &u);
        b.push('"');
        self.end_evtx();
    }

    fn sysmon_reg(&mut self, host: usize, user: usize, ts: Ts) {
        self.sysmon_head(13, host, ts);
        let im = IMAGES[self.image()];
        let sam = self.users[user].sam.clone();
        let u = self.user_str(host, user, false);
        let b = &mut self.buf;
        b.push_str(",\"EventType\":\"SetValue\",\"Image\":\"");
        fill_esc(&mut self.rng, b, im.0, &sam);
        b.push_str("\",\"TargetObject\":\"");
        let k = *self.rng.pick(REG_KEYS);
        fill_esc(&mut self.rng, b, k, &sam);
        let _ = write!(
            b,
            "\",\"Details\":\"{}\",\"User\":\"",
            if self.rng.chance(0.5) {
                format!("DWORD (0x{:08x})", self.rng.below(1 << 20))
            } else {
                format!(
                    "QWORD (0x{:08x}-0x{:08x})",
                    self.rng.below(1 << 24),
                    self.rng.u64() as u32
                )
            }
        );
        esc(b, &u);
        b.push('"');
        self.end_evtx();
    }

    fn sysmon_dns(&mut self, host: usize, user: usize, ts: Ts) {
        self.sysmon_head(22, host, ts);
        let im = IMAGES[self.image()];
        let sam = self.users[user].sam.clone();
        let u = self.user_str(host, user, false);
        let q = *self.rng.pick(DNS_NAMES);
        let r = *self.rng.pick(DNS_RESULTS);
        let b = &mut self.buf;
        let _ = write!(
            b,
            ",\"QueryName\":\"{q}\",\"QueryStatus\":\"0\",\"QueryResults\":\"{r}\",\"Image\":\""
        );
        fill_esc(&mut self.rng, b, im.0, &sam);
        b.push_str("\",\"User\":\"");
        esc(b, &u);
        b.push('"');
        self.end_evtx();
    }

    fn sec_logon(&mut self, host: usize, user: usize, ts: Ts, failed: bool) {
        let id = if failed { 4625 } else { 4624 };
        self.evtx_head(
            "Microsoft-Windows-Security-Auditing",
            SECURITY_GUID,
            id,
            12544,
            "Security",
            host,
            ts,
            None,
        );
        let lt = *self.rng.pick(&[2u32, 3, 3, 3, 5, 7, 10, 11]);
        let src = if self.rng.chance(0.7) {
            self.hosts[self.rng.below(self.hosts.len() as u64) as usize]
                .ip
                .clone()
        } else {
            "-".into()
        };
        let ws = self.hosts[self.rng.below(self.hosts.len() as u64) as usize]
            .name
            .clone();
        let us = &self.users[user];
        let (sam, sid) = (us.sam.clone(), us.sid.clone());
        let b = &mut self.buf;
        let _ = write!(b, "\"SubjectUserSid\":\"S-1-5-18\",\"SubjectUserName\":\"{}$\",\"SubjectDomainName\":\"{DOMAIN}\",\"SubjectLogonId\":\"0x3e7\",", self.hosts[host].name);
        if failed {
            let _ = write!(b, "\"TargetUserSid\":\"S-1-0-0\",\"TargetUserName\":\"{sam}\",\"TargetDomainName\":\"{DOMAIN}\",\"Status\":\"0xc000006d\",\"FailureReason\":\"%%2313\",\"SubStatus\":\"{}\",",
                if self.rng.chance(0.8) { "0xc000006a" } else { "0xc0000064" });
        } else {
            let _ = write!(b, "\"TargetUserSid\":\"{sid}\",\"TargetUserName\":\"{sam}\",\"TargetDomainName\":\"{DOMAIN}\",\"TargetLogonId\":\"0x{:x}\",", self.rng.range(0x10000, 0xffff_ffff));
        }
        let _ = write!(b, "\"LogonType\":{lt},\"LogonProcessName\":\"{}\",\"AuthenticationPackageName\":\"{}\",\"WorkstationName\":\"{ws}\",\"LogonGuid\":\"{{",
            if lt == 3 { "NtLmSsp " } else { "User32 " }, if lt == 3 && self.rng.chance(0.4) { "NTLM" } else { "Kerberos" });
        self.rng.guid(b, true);
        let _ = write!(b, "}}\",\"TransmittedServices\":\"-\",\"LmPackageName\":\"-\",\"KeyLength\":0,\"ProcessId\":\"0x{:x}\",\"ProcessName\":\"C:\\\\Windows\\\\System32\\\\lsass.exe\",\"IpAddress\":\"{src}\",\"IpPort\":\"{}\",\"ImpersonationLevel\":\"%%1833\",\"RestrictedAdminMode\":\"-\",\"VirtualAccount\":\"%%1843\",\"ElevatedToken\":\"%%1842\"",
            self.rng.range(0x200, 0x2000), if src == "-" { "-".to_string() } else { self.rng.range(49152, 65535).to_string() });
        self.end_evtx();
    }

    fn sec_4688(&mut self, host: usize, user: usize, ts: Ts) {
        self.evtx_head(
            "Microsoft-Windows-Security-Auditing",
            SECURITY_GUID,
            4688,
            13312,
            "Security",
            host,
            ts,
            None,
        );
        let im = IMAGES[self.image()];
        let us = &self.users[user];
        let (sam, sid) = (us.sam.clone(), us.sid.clone());
        let p = parent_of(&mut self.rng, im.0);
        let b = &mut self.buf;
        let _ = write!(b, "\"SubjectUserSid\":\"{sid}\",\"SubjectUserName\":\"{sam}\",\"SubjectDomainName\":\"{DOMAIN}\",\"SubjectLogonId\":\"0x{:x}\",\"NewProcessId\":\"0x{:x}\",\"NewProcessName\":\"",
            self.rng.range(0x10000, 0xffff_ffff), self.rng.range(0x100, 0x8000));
        fill_esc(&mut self.rng, b, im.0, &sam);
        let _ = write!(
            b,
            "\",\"TokenElevationType\":\"%%1938\",\"ProcessId\":\"0x{:x}\",\"CommandLine\":\"",
            self.rng.range(0x100, 0x8000)
        );
        let tpl = *self.rng.pick(im.5);
        fill_esc(&mut self.rng, b, tpl, &sam);
        b.push_str("\",\"TargetUserSid\":\"S-1-0-0\",\"TargetUserName\":\"-\",\"TargetDomainName\":\"-\",\"TargetLogonId\":\"0x0\",\"ParentProcessName\":\"");
        esc(b, p.0);
        b.push_str("\",\"MandatoryLabel\":\"S-1-16-8192\"");
        self.end_evtx();
    }

    fn sec_4672(&mut self, host: usize, user: usize, ts: Ts) {
        self.evtx_head(
            "Microsoft-Windows-Security-Auditing",
            SECURITY_GUID,
            4672,
            12548,
            "Security",
            host,
            ts,
            None,
        );
        let us = &self.users[user];
        let (sam, sid) = (us.sam.clone(), us.sid.clone());
        let b = &mut self.buf;
        let _ = write!(b, "\"SubjectUserSid\":\"{sid}\",\"SubjectUserName\":\"{sam}\",\"SubjectDomainName\":\"{DOMAIN}\",\"SubjectLogonId\":\"0x{:x}\",\"PrivilegeList\":\"SeSecurityPrivilege\\n\\t\\t\\tSeBackupPrivilege\\n\\t\\t\\tSeRestorePrivilege\\n\\t\\t\\tSeTakeOwnershipPrivilege\\n\\t\\t\\tSeDebugPrivilege\\n\\t\\t\\tSeSystemEnvironmentPrivilege\\n\\t\\t\\tSeLoadDriverPrivilege\\n\\t\\t\\tSeImpersonatePrivilege\\n\\t\\t\\tSeDelegateSessionUserImpersonatePrivilege\"",
            self.rng.range(0x10000, 0xffff_ffff));
        self.end_evtx();
    }

    fn m365_common(&mut self, ts: Ts, record_type: u32, op: &str, workload: &str, user: usize) {
        let b = &mut self.buf;
        b.push_str("{\"CreationTime\":\"");
        ts.plain(b);
        b.push_str("\",\"Id\":\"");
        self.rng.guid(b, false);
        let us = &self.users[user];
        let _ = write!(b, "\",\"Operation\":\"{op}\",\"OrganizationId\":\"0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\",\"RecordType\":{record_type},\"ResultStatus\":\"Succeeded\",\"UserKey\":\"{}\",\"UserType\":0,\"Version\":1,\"Workload\":\"{workload}\",\"UserId\":\"{}\"",
            us.guid, us.upn);
    }

    fn m365_mail(&mut self, user: usize, ts: Ts) {
        self.m365_common(ts, 50, "MailItemsAccessed", "Exchange", user);
        let app = *self.rng.pick(M365_APPS);
        let capp = *self.rng.pick(M365_APPS);
        let ip = self.pub_ip();
        let ci = *self.rng.pick(CLIENT_INFO);
        let upn = self.users[user].upn.clone();
        let sync = self.rng.chance(0.3);
        let n = self.rng.range(1, 40);
        let b = &mut self.buf;
        let _ = write!(b, ",\"AppId\":\"{app}\",\"ClientAppId\":\"{capp}\",\"ClientIPAddress\":\"{ip}\",\"ClientInfoString\":\"{ci}\",\"ExternalAccess\":false,\"InternalLogonType\":0,\"LogonType\":0,\"LogonUserSid\":\"S-1-5-21-{}-{}\",\"MailboxGuid\":\"",
            self.rng.range(1_000_000_000, 4_000_000_000), self.rng.range(1000, 99999));
        self.rng.guid(b, false);
        let _ = write!(b, "\",\"MailboxOwnerUPN\":\"{upn}\",\"OperationProperties\":[{{\"Name\":\"MailAccessType\",\"Value\":\"{}\"}},{{\"Name\":\"IsThrottled\",\"Value\":\"False\"}}],\"OrganizationName\":\"{UPN_DOMAIN}\",\"OriginatingServer\":\"AM6PR0{}MB{} (15.20.{}.{})\",\"SessionId\":\"",
            if sync { "Sync" } else { "Bind" }, self.rng.range(1, 9), self.rng.range(1000, 9999), self.rng.range(7000, 8999), self.rng.range(10, 99));
        self.rng.guid(b, false);
        let _ = write!(b, "\",\"Folders\":[{{\"FolderItems\":[{{\"InternetMessageId\":\"<{}@AM6PR01MB{}.eurprd01.prod.outlook.com>\",\"SizeInBytes\":{}}}],\"Id\":\"LgAAAAB",
            self.rng.u64() as u32, self.rng.range(1000, 9999), self.rng.range(2000, 300_000));
        self.rng.hex(b, 40, true);
        let _ = write!(
            b,
            "\",\"Path\":\"\\\\{}\"}}],\"OperationCount\":{n}}}",
            if sync { "Inbox" } else { "Sent Items" }
        );
    }

    fn m365_sp(&mut self, user: usize, ts: Ts) {
        let op = *self.rng.pick(SP_OPS);
        self.m365_common(ts, 6, op, "OneDrive", user);
        let ip = self.pub_ip();
        let ua = *self.rng.pick(USER_AGENTS);
        let sam = self.users[user].sam.replace('.', "_");
        let n = self.rng.range(1, 9999);
        let ext = *self.rng.pick(&["docx", "xlsx", "pptx", "pdf", "txt"]);
        let b = &mut self.buf;
        let _ = write!(b, ",\"ClientIP\":\"{ip}\",\"ObjectId\":\"https://contoso-my.sharepoint.com/personal/{sam}_contoso_example/Documents/Shared/file-{n}.{ext}\",\"CorrelationId\":\"");
        self.rng.guid(b, false);
        let _ = write!(
            b,
            "\",\"EventSource\":\"SharePoint\",\"ItemType\":\"File\",\"ListId\":\""
        );
        self.rng.guid(b, false);
        b.push_str("\",\"ListItemUniqueId\":\"");
        self.rng.guid(b, false);
        let _ = write!(b, "\",\"Site\":\"");
        self.rng.guid(b, false);
        let _ = write!(b, "\",\"UserAgent\":\"{ua}\",\"WebId\":\"");
        self.rng.guid(b, false);
        let _ = write!(b, "\",\"SourceFileExtension\":\"{ext}\",\"SiteUrl\":\"https://contoso-my.sharepoint.com/personal/{sam}_contoso_example/\",\"SourceFileName\":\"file-{n}.{ext}\",\"SourceRelativeUrl\":\"Documents/Shared\"}}");
    }

    fn m365_exo(&mut self, user: usize, ts: Ts) {
        let op = *self.rng.pick(EXO_OPS);
        self.m365_common(ts, 2, op, "Exchange", user);
        let ip = self.pub_ip();
        let ci = *self.rng.pick(CLIENT_INFO);
        let upn = self.users[user].upn.clone();
        let b = &mut self.buf;
        let _ = write!(b, ",\"AppId\":\"{}\",\"ClientIPAddress\":\"{ip}\",\"ClientInfoString\":\"{ci}\",\"ExternalAccess\":false,\"InternalLogonType\":0,\"LogonType\":0,\"MailboxGuid\":\"", M365_APPS[0]);
        self.rng.guid(b, false);
        let _ = write!(
            b,
            "\",\"MailboxOwnerUPN\":\"{upn}\",\"Item\":{{\"Id\":\"RgAAAAD"
        );
        self.rng.hex(b, 48, true);
        let _ = write!(b, "\",\"InternetMessageId\":\"<{}@AM6PR01MB{}.eurprd01.prod.outlook.com>\",\"ParentFolder\":{{\"Path\":\"\\\\Inbox\"}},\"SizeInBytes\":{},\"Subject\":\"Re: weekly sync {}\"}}}}",
            self.rng.u64() as u32, self.rng.range(1000, 9999), self.rng.range(2000, 300_000), self.rng.range(1, 52));
    }

    fn signin(&mut self, user: usize, ts: Ts) {
        let (app, app_id) = *self.rng.pick(SIGNIN_APPS);
        let fail = self.rng.chance(0.08);
        let ip = self.pub_ip();
        let ua = *self.rng.pick(USER_AGENTS);
        let city = *self.rng.pick(CITIES);
        let us = &self.users[user];
        let (upn, uid, sam) = (us.upn.clone(), us.guid.clone(), us.sam.clone());
        let b = &mut self.buf;
        b.push_str("{\"TenantId\":\"0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\",\"SourceSystem\":\"Azure AD\",\"TimeGenerated\":\"");
        ts.zulu(b);
        b.push_str("\",\"OperationName\":\"Sign-in activity\",\"OperationVersion\":\"1.0\",\"Category\":\"SignInLogs\",\"ResultType\":\"");
        let code = if fail {
            *self.rng.pick(&[50126u32, 50074, 50140, 53003])
        } else {
            0
        };
        let _ = write!(
            b,
            "{code}\",\"ResultDescription\":\"{}\",\"CreatedDateTime\":\"",
            if fail {
                "Invalid username or password or Invalid on-premise username or password."
            } else {
                ""
            }
        );
        ts.zulu(b);
        b.push_str("\",\"Id\":\"");
        self.rng.guid(b, false);
        b.push_str("\",\"CorrelationId\":\"");
        self.rng.guid(b, false);
        let interactive = self.rng.chance(0.7);
        let _ = write!(b, "\",\"UserPrincipalName\":\"{upn}\",\"UserDisplayName\":\"{sam}\",\"UserId\":\"{uid}\",\"UserType\":\"Member\",\"AppDisplayName\":\"{app}\",\"AppId\":\"{app_id}\",\"ResourceDisplayName\":\"Microsoft Graph\",\"ResourceIdentity\":\"00000003-0000-0000-c000-000000000000\",\"IPAddress\":\"{ip}\",\"ClientAppUsed\":\"{}\",\"UserAgent\":\"{ua}\",\"IsInteractive\":{interactive},\"Status\":{{\"errorCode\":{code}{}}},\"AuthenticationRequirement\":\"{}\",\"AuthenticationProtocol\":\"none\",\"ConditionalAccessStatus\":\"{}\",\"RiskState\":\"none\",\"RiskLevelDuringSignIn\":\"none\",\"DeviceDetail\":{{\"deviceId\":\"",
            if self.rng.chance(0.6) { "Browser" } else { "Mobile Apps and Desktop clients" },
            if fail { ",\"failureReason\":\"Error validating credentials due to invalid username or password.\"" } else { "" },
            if self.rng.chance(0.85) { "multiFactorAuthentication" } else { "singleFactorAuthentication" },
            if fail { "notApplied" } else { "success" });
        self.rng.guid(b, false);
        let _ = write!(b, "\",\"displayName\":\"WS-{}-{:04}\",\"operatingSystem\":\"Windows10\",\"browser\":\"Chrome 131.0.0\",\"isCompliant\":true,\"isManaged\":true,\"trustType\":\"Azure AD joined\"}},\"LocationDetails\":{{\"city\":\"{}\",\"state\":\"{}\",\"countryOrRegion\":\"{}\",\"geoCoordinates\":{{\"latitude\":{}.{},\"longitude\":{}.{}}}}},\"Type\":\"SigninLogs\"}}",
            self.rng.pick(DEPTS), self.rng.range(1, 9999), city.0, city.1, city.2, self.rng.range(1, 60), self.rng.range(1000, 9999), self.rng.range(1, 120), self.rng.range(1000, 9999));
    }

    fn cloudtrail(&mut self, user: usize, ts: Ts) {
        let (src, name, ro) = *self.rng.pick(CT_CALLS);
        let region = *self.rng.pick(REGIONS);
        let acct = *self.rng.pick(ACCOUNTS);
        let ip = self.pub_ip();
        let sam = self.users[user].sam.clone();
        let role = *self.rng.pick(&[
            "AWSReservedSSO_ReadOnly_1a2b3c4d5e6f7a8b",
            "AWSReservedSSO_PowerUserAccess_9f8e7d6c5b4a3210",
            "ci-deploy",
            "lambda-exec-orders",
        ]);
        let b = &mut self.buf;
        b.push_str("{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":\"AROA");
        self.rng.hex(b, 16, true);
        let _ = write!(b, ":{sam}@{UPN_DOMAIN}\",\"arn\":\"arn:aws:sts::{acct}:assumed-role/{role}/{sam}@{UPN_DOMAIN}\",\"accountId\":\"{acct}\",\"accessKeyId\":\"ASIA");
        self.rng.hex(b, 16, true);
        let _ = write!(
            b,
            "\",\"sessionContext\":{{\"sessionIssuer\":{{\"type\":\"Role\",\"principalId\":\"AROA"
        );
        self.rng.hex(b, 16, true);
        let _ = write!(b, "\",\"arn\":\"arn:aws:iam::{acct}:role/{role}\",\"accountId\":\"{acct}\",\"userName\":\"{role}\"}},\"attributes\":{{\"creationDate\":\"");
        Ts(ts.0 - 1_800_000_000).zulu(b);
        let _ = write!(
            b,
            "\",\"mfaAuthenticated\":\"{}\"}}}}}},\"eventTime\":\"",
            self.rng.chance(0.5)
        );
        ts.zulu(b);
        let _ = write!(b, "\",\"eventSource\":\"{src}\",\"eventName\":\"{name}\",\"awsRegion\":\"{region}\",\"sourceIPAddress\":\"{ip}\",\"userAgent\":\"{}\",\"requestParameters\":",
            self.rng.pick(&["aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22", "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.12.2", "console.amazonaws.com", "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64"]));
        match src {
            "s3.amazonaws.com" => {
                let _ = write!(b, "{{\"bucketName\":\"contoso-data-{}\",\"Host\":\"contoso-data-{}.s3.{region}.amazonaws.com\",\"key\":\"exports/{}/part-{:05}.parquet\"}}", self.rng.range(1, 40), self.rng.range(1, 40), self.rng.range(2024, 2026), self.rng.below(99999));
            }
            "ec2.amazonaws.com" => {
                let _ = write!(b, "{{\"instancesSet\":{{}},\"filterSet\":{{\"items\":[{{\"name\":\"tag:team\",\"valueSet\":{{\"items\":[{{\"value\":\"{}\"}}]}}}}]}}}}", self.rng.pick(DEPTS));
            }
            "kms.amazonaws.com" => {
                let _ = write!(b, "{{\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"keyId\":\"arn:aws:kms:{region}:{acct}:key/");
                self.rng.guid(b, false);
                b.push_str("\"}");
            }
            _ => b.push_str("null"),
        }
        b.push_str(",\"responseElements\":null,\"requestID\":\"");
        self.rng.guid(b, false);
        b.push_str("\",\"eventID\":\"");
        self.rng.guid(b, false);
        let _ = write!(b, "\",\"readOnly\":{ro},\"eventType\":\"AwsApiCall\",\"managementEvent\":{},\"recipientAccountId\":\"{acct}\",\"eventCategory\":\"{}\",\"tlsDetails\":{{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"clientProvidedHostHeader\":\"{}.{region}.amazonaws.com\"}}}}",
            src != "s3.amazonaws.com" || name == "ListBuckets", if src == "s3.amazonaws.com" && name != "ListBuckets" { "Data" } else { "Management" }, src.trim_end_matches(".amazonaws.com"));
    }
}

/// Header field names of flat Windows test events, put under Event.System.
const SYSTEM_KEYS: &[&str] = &[
    "EventID",
    "Channel",
    "Computer",
    "Provider_Name",
    "EventRecordID",
    "Level",
    "Keywords",
];

/// A rule test event as a raw record: Windows flat events (with Channel and EventID) in the
/// EVTX shape, others as they are.
fn as_raw(ev: &Value) -> Option<String> {
    let obj = ev.as_object()?;
    if obj.contains_key("Event") || !(obj.contains_key("Channel") && obj.contains_key("EventID")) {
        return serde_json::to_string(ev).ok();
    }
    let mut system = Map::new();
    let mut data = Map::new();
    for (k, v) in obj {
        if k == "Provider_Name" {
            system.insert(
                "Provider".into(),
                serde_json::json!({"#attributes": {"Name": v}}),
            );
        } else if SYSTEM_KEYS.contains(&k.as_str()) {
            system.insert(k.clone(), v.clone());
        } else {
            data.insert(k.clone(), v.clone());
        }
    }
    serde_json::to_string(&serde_json::json!({"Event": {"System": system, "EventData": data}})).ok()
}

/// An EVTX-shaped event as one flat object: the header fields rules use, then EventData.
fn flatten_evtx(line: String) -> String {
    let Ok(v) = serde_json::from_str::<Value>(&line) else {
        return line;
    };
    let Some(sys) = v.pointer("/Event/System") else {
        return line;
    };
    let text = |x: &Value| x.get("#text").cloned().unwrap_or_else(|| x.clone());
    let mut m = Map::new();
    for k in ["EventID", "Channel", "Computer", "EventRecordID"] {
        if let Some(x) = sys.get(k) {
            m.insert(k.into(), text(x));
        }
    }
    if let Some(x) = sys.pointer("/Provider/#attributes/Name") {
        m.insert("Provider_Name".into(), x.clone());
    }
    if let Some(x) = sys.pointer("/TimeCreated/#attributes/SystemTime") {
        m.insert("SystemTime".into(), x.clone());
    }
    if let Some(Value::Object(d)) = v.pointer("/Event/EventData") {
        for (k, x) in d {
            m.entry(k.clone()).or_insert_with(|| text(x));
        }
    }
    serde_json::to_string(&Value::Object(m)).unwrap_or(line)
}

/// The `expect match` test events of the single-event rules under `dir`.
fn rule_matches(dir: &PathBuf, windows_only: bool) -> Vec<String> {
    let Ok(inputs) = tripline::driver::collect_inputs(std::slice::from_ref(dir)) else {
        eprintln!("gen_events: cannot read rules in {}", dir.display());
        return Vec::new();
    };
    let prog = tripline::driver::Program::load_inputs(inputs);
    let catalog = tripline::catalog::Catalog::builtin();
    let checked = tripline::driver::check_program(&prog, &catalog);
    let mut out = Vec::new();
    for (_, r) in &checked.rules {
        if r.stage.is_some() || (windows_only && !r.source.starts_with("windows.")) {
            continue;
        }
        for t in r.tests.iter().filter(|t| t.expect) {
            if let Some(s) = as_raw(&t.event) {
                out.push(s);
            }
        }
    }
    out
}

/// Every EVTX event (`{"Event": ...}`) in the `*.json` files under `dir`, one line each.
fn dir_matches(dir: &PathBuf) -> Vec<String> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let items = match v {
            Value::Array(a) => a,
            v => vec![v],
        };
        for it in items {
            if it.get("Event").is_some() {
                if let Ok(s) = serde_json::to_string(&it) {
                    out.push(s);
                }
            }
        }
    }
    out
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1u64 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    let f: f64 = num.parse().ok()?;
    Some((f * mult as f64) as u64)
}

fn usage() -> ! {
    eprintln!("usage: gen_events --bytes SIZE[K|M|G] [--seed N] [--mix all|windows] [--rules DIR] [--match-dir DIR] [--match-rate P] [--flat] [--events N] --out FILE");
    std::process::exit(2)
}

fn main() {
    let mut bytes = 1u64 << 30;
    let mut seed = 1u64;
    let mut out: Option<PathBuf> = None;
    let mut mix = "all".to_string();
    let mut rules = PathBuf::from("rules");
    let mut match_dir: Option<PathBuf> = None;
    let mut rate = 0.001f64;
    let mut flat = false;
    let mut max_events: Option<u64> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--bytes" => bytes = parse_size(&val()).unwrap_or_else(|| usage()),
            "--seed" => seed = val().parse().unwrap_or_else(|_| usage()),
            "--out" => out = Some(PathBuf::from(val())),
            "--mix" => mix = val(),
            "--rules" => rules = PathBuf::from(val()),
            "--match-dir" => match_dir = Some(PathBuf::from(val())),
            "--match-rate" => rate = val().parse().unwrap_or_else(|_| usage()),
            "--flat" => flat = true,
            "--events" => max_events = Some(val().parse().unwrap_or_else(|_| usage())),
            _ => usage(),
        }
    }
    let Some(out) = out else { usage() };
    let weights = match mix.as_str() {
        "all" => MIX_ALL,
        "windows" => MIX_WINDOWS,
        _ => usage(),
    };
    let mut matches = rule_matches(&rules, mix == "windows");
    if let Some(d) = &match_dir {
        matches.extend(dir_matches(d));
    }
    if flat {
        matches = matches.into_iter().map(flatten_evtx).collect();
    }
    let total: u32 = weights.iter().map(|w| w.1).sum();
    let start = Instant::now();
    let file = std::fs::File::create(&out).unwrap_or_else(|e| {
        eprintln!("gen_events: {}: {e}", out.display());
        std::process::exit(2)
    });
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut g = Gen::new(seed, bytes / 1000, matches);
    g.flat = flat;
    let (mut written, mut events, mut matched) = (0u64, 0u64, 0u64);
    while match max_events {
        Some(n) => events < n,
        None => written < bytes,
    } {
        if !g.matches.is_empty() && g.rng.chance(rate) {
            let i = g.rng.below(g.matches.len() as u64) as usize;
            g.buf.clear();
            let m = std::mem::take(&mut g.matches[i]);
            g.buf.push_str(&m);
            g.matches[i] = m;
            matched += 1;
        } else {
            let mut r = g.rng.below(total as u64) as u32;
            let mut kind = weights[0].0;
            for &(k, wt) in weights {
                if r < wt {
                    kind = k;
                    break;
                }
                r -= wt;
            }
            g.emit(kind);
        }
        g.buf.push('\n');
        if let Err(e) = w.write_all(g.buf.as_bytes()) {
            eprintln!("gen_events: {}: {e}", out.display());
            std::process::exit(2)
        }
        written += g.buf.len() as u64;
        events += 1;
    }
    if let Err(e) = w.flush() {
        eprintln!("gen_events: {}: {e}", out.display());
        std::process::exit(2)
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "gen_events: {} events ({} from the match pool of {}), {:.1} MB in {:.2} s ({:.0} MB/s), {} bytes/event",
        events,
        matched,
        g.matches.len(),
        written as f64 / 1e6,
        secs,
        written as f64 / 1e6 / secs,
        written / events.max(1)
    );
}
