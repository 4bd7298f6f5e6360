// @generated: `TransactionRecord*` from spec/, expanded by ykc-derive. Update: YKC_BLESS=1 cargo test -p ykc-derive golden

/// 交易标识 (`trade_flag` of transaction_record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::ykc::CodeEnum)]
pub enum TransactionRecordTradeFlag {
    /// app 启动
    #[ykc(code = 0x01, name = "app_start", zh = "app 启动")]
    AppStart,
    /// 卡启动
    #[ykc(code = 0x02, name = "card_start", zh = "卡启动")]
    CardStart,
    /// 离线卡启动
    #[ykc(code = 0x04, name = "offline_card_start", zh = "离线卡启动")]
    OfflineCardStart,
    /// vin 码启动充电
    #[ykc(code = 0x05, name = "vin_start", zh = "vin 码启动充电")]
    VinStart,
    /// A code the table does not list (kept as received, any width).
    Unknown(u64),
}
impl ::ykc::CodeEnum for TransactionRecordTradeFlag {
    const VALUES: &'static [::ykc::meta::EnumValue] = &[
        ::ykc::meta::EnumValue {
            code: 1u64,
            name: "app_start",
            zh: "app 启动",
        },
        ::ykc::meta::EnumValue {
            code: 2u64,
            name: "card_start",
            zh: "卡启动",
        },
        ::ykc::meta::EnumValue {
            code: 4u64,
            name: "offline_card_start",
            zh: "离线卡启动",
        },
        ::ykc::meta::EnumValue {
            code: 5u64,
            name: "vin_start",
            zh: "vin 码启动充电",
        },
    ];
    fn from_code(code: u64) -> Self {
        match code {
            1u64 => TransactionRecordTradeFlag::AppStart,
            2u64 => TransactionRecordTradeFlag::CardStart,
            4u64 => TransactionRecordTradeFlag::OfflineCardStart,
            5u64 => TransactionRecordTradeFlag::VinStart,
            other => TransactionRecordTradeFlag::Unknown(other),
        }
    }
    fn json_fragment(
        &self,
    ) -> ::core::option::Option<&'static ::ykc::__private::serde_json::value::RawValue> {
        static FRAGMENTS: ::ykc::__private::Fragments = ::std::sync::OnceLock::new();
        let i = match self {
            TransactionRecordTradeFlag::AppStart => 0usize,
            TransactionRecordTradeFlag::CardStart => 1usize,
            TransactionRecordTradeFlag::OfflineCardStart => 2usize,
            TransactionRecordTradeFlag::VinStart => 3usize,
            TransactionRecordTradeFlag::Unknown(_) => return ::core::option::Option::None,
        };
        let all = FRAGMENTS
            .get_or_init(|| ::ykc::value::render_fragments(
                <Self as ::ykc::CodeEnum>::VALUES,
            ));
        all.get(i).and_then(|f| f.as_deref())
    }
    fn code(&self) -> u64 {
        match self {
            TransactionRecordTradeFlag::AppStart => 1u64,
            TransactionRecordTradeFlag::CardStart => 2u64,
            TransactionRecordTradeFlag::OfflineCardStart => 4u64,
            TransactionRecordTradeFlag::VinStart => 5u64,
            TransactionRecordTradeFlag::Unknown(c) => *c,
        }
    }
}
/// 0x3B 交易记录 — `transaction_record` (§8.7), pile → platform. Answered by 0x40.
///
/// 充电桩在网络正常情况下，主运发送结算账单，直到运营平台响应成账单上传成功（若未收到 0x40 回复间隔 30s 再重试一次，最多重试 3 次），收到账单结算成功，本账单在充电桩本地删除。每次接收到启机命令并已执行启机过程，无论启机成功与否，都需在订单结束充电后生成账单上传
///
/// ERRATA R3: bodies of 158 (V1.6), 156 (legacy 4-byte meter values, alt_layout) and 160 (2 trailing bytes, kept raw with a warning) are all decoded; a transaction record is billing data and is never dropped; the 0x40 confirm must stay possible
///
/// ERRATA D8: older piles may send the record as 0x39/0x3F (layout not in this document) → Unknown { code, raw }; 0x3B + 0x40 only
///
/// ERRATA D7: the 5.4 flow diagram shows 交易记录 0x39 / 确认 0x3A; sections (0x3B/0x40) win
///
/// ERRATA T27: retry policy differs between 8.7 (every 30 s, max 3) and 8.8 (once after 5 min); session-layer note
#[derive(Debug, Clone, PartialEq, ::ykc::Frame)]
#[ykc(
    code = 0x3B,
    name = "transaction_record",
    name_zh = "交易记录",
    section = "8.7",
    direction = "up",
    reply = 0x40,
    trailing,
    role = "transaction_record",
    alt_layout = "legacy_meter_4byte",
    alt_body_len = 156
)]
pub struct TransactionRecord {
    /// 交易流水号 — 见名词解释
    #[ykc(bcd, len = 16, name_zh = "交易流水号", note_zh = "见名词解释")]
    pub transaction_serial: ::ykc::Bcd<16>,
    /// 桩编号 — 不足 7 位补 0
    #[ykc(bcd, len = 7, name_zh = "桩编号", note_zh = "不足 7 位补 0")]
    pub pile_code: ::ykc::Bcd<7>,
    /// 枪号
    #[ykc(bcd, len = 1, name_zh = "枪号")]
    pub gun_no: ::ykc::Bcd<1>,
    /// 开始时间 — CP56Time2a 格式
    #[ykc(cp56time, len = 7, name_zh = "开始时间", note_zh = "CP56Time2a 格式")]
    pub start_time: ::ykc::Cp56Time,
    /// 结束时间 — CP56Time2a 格式
    #[ykc(cp56time, len = 7, name_zh = "结束时间", note_zh = "CP56Time2a 格式")]
    pub end_time: ::ykc::Cp56Time,
    /// 尖单价 — 精确到小数点后五位（尖电费+尖服务费，见费率帧）
    ///
    /// ERRATA T24: prices are ×10⁻⁵ 元/kWh (sample D0FB0100 = 1.30000)
    #[ykc(
        uint,
        len = 4,
        decimals = 5,
        unit = "元/kWh",
        name_zh = "尖单价",
        note_zh = "精确到小数点后五位（尖电费+尖服务费，见费率帧）"
    )]
    pub sharp_price: u32,
    /// 尖电量 — 精确到小数点后四位
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "kWh",
        name_zh = "尖电量",
        note_zh = "精确到小数点后四位"
    )]
    pub sharp_energy: u32,
    /// 计损尖电量 — 精确到小数点后四位
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "kWh",
        name_zh = "计损尖电量",
        note_zh = "精确到小数点后四位"
    )]
    pub sharp_loss_energy: u32,
    /// 尖金额 — 精确到小数点后四位
    ///
    /// ERRATA T24: amounts are ×10⁻⁴ 元
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "元",
        name_zh = "尖金额",
        note_zh = "精确到小数点后四位"
    )]
    pub sharp_amount: u32,
    /// 峰单价 — 精确到小数点后五位（峰电费+峰服务费）
    ///
    /// ERRATA T24: prices are ×10⁻⁵ 元/kWh (sample D0FB0100 = 1.30000)
    #[ykc(
        uint,
        len = 4,
        decimals = 5,
        unit = "元/kWh",
        name_zh = "峰单价",
        note_zh = "精确到小数点后五位（峰电费+峰服务费）"
    )]
    pub peak_price: u32,
    /// 峰电量 — 精确到小数点后四位
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "kWh",
        name_zh = "峰电量",
        note_zh = "精确到小数点后四位"
    )]
    pub peak_energy: u32,
    /// 计损峰电量 — 精确到小数点后四位
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "kWh",
        name_zh = "计损峰电量",
        note_zh = "精确到小数点后四位"
    )]
    pub peak_loss_energy: u32,
    /// 峰金额 — 精确到小数点后四位
    ///
    /// ERRATA T24: amounts are ×10⁻⁴ 元
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "元",
        name_zh = "峰金额",
        note_zh = "精确到小数点后四位"
    )]
    pub peak_amount: u32,
    /// 平单价 — 精确到小数点后五位（平电费+平服务费）
    ///
    /// ERRATA T24: prices are ×10⁻⁵ 元/kWh (sample D0FB0100 = 1.30000)
    #[ykc(
        uint,
        len = 4,
        decimals = 5,
        unit = "元/kWh",
        name_zh = "平单价",
        note_zh = "精确到小数点后五位（平电费+平服务费）"
    )]
    pub flat_price: u32,
    /// 平电量 — 精确到小数点后四位
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "kWh",
        name_zh = "平电量",
        note_zh = "精确到小数点后四位"
    )]
    pub flat_energy: u32,
    /// 计损平电量 — 精确到小数点后四位
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "kWh",
        name_zh = "计损平电量",
        note_zh = "精确到小数点后四位"
    )]
    pub flat_loss_energy: u32,
    /// 平金额 — 精确到小数点后四位
    ///
    /// ERRATA T24: amounts are ×10⁻⁴ 元
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "元",
        name_zh = "平金额",
        note_zh = "精确到小数点后四位"
    )]
    pub flat_amount: u32,
    /// 谷单价 — 精确到小数点后五位（谷电费+谷服务费）
    ///
    /// ERRATA T24: prices are ×10⁻⁵ 元/kWh (sample D0FB0100 = 1.30000)
    #[ykc(
        uint,
        len = 4,
        decimals = 5,
        unit = "元/kWh",
        name_zh = "谷单价",
        note_zh = "精确到小数点后五位（谷电费+谷服务费）"
    )]
    pub valley_price: u32,
    /// 谷电量 — 精确到小数点后四位
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "kWh",
        name_zh = "谷电量",
        note_zh = "精确到小数点后四位"
    )]
    pub valley_energy: u32,
    /// 计损谷电量 — 精确到小数点后四位
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "kWh",
        name_zh = "计损谷电量",
        note_zh = "精确到小数点后四位"
    )]
    pub valley_loss_energy: u32,
    /// 谷金额 — 精确到小数点后四位
    ///
    /// ERRATA T24: amounts are ×10⁻⁴ 元
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "元",
        name_zh = "谷金额",
        note_zh = "精确到小数点后四位"
    )]
    pub valley_amount: u32,
    /// 电表总起值 — 精确到小数点后四位
    ///
    /// ERRATA R3/D8: 5 bytes since V1.5; 4 bytes in the legacy_meter_4byte layout (body 156)
    #[ykc(
        uint,
        len = 5,
        alt_len = 4,
        decimals = 4,
        unit = "kWh",
        name_zh = "电表总起值",
        note_zh = "精确到小数点后四位"
    )]
    pub meter_start: u64,
    /// 电表总止值 — 精确到小数点后四位
    ///
    /// ERRATA R3/D8: 5 bytes since V1.5; 4 bytes in the legacy_meter_4byte layout (body 156)
    #[ykc(
        uint,
        len = 5,
        alt_len = 4,
        decimals = 4,
        unit = "kWh",
        name_zh = "电表总止值",
        note_zh = "精确到小数点后四位"
    )]
    pub meter_stop: u64,
    /// 总电量 — 精确到小数点后四位
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "kWh",
        name_zh = "总电量",
        note_zh = "精确到小数点后四位"
    )]
    pub total_energy: u32,
    /// 计损总电量 — 精确到小数点后四位
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "kWh",
        name_zh = "计损总电量",
        note_zh = "精确到小数点后四位"
    )]
    pub total_loss_energy: u32,
    /// 消费金额 — 精确到小数点后四位，包含电费、服务费
    ///
    /// ERRATA T24: amounts are ×10⁻⁴ 元
    #[ykc(
        uint,
        len = 4,
        decimals = 4,
        unit = "元",
        name_zh = "消费金额",
        note_zh = "精确到小数点后四位，包含电费、服务费"
    )]
    pub total_amount: u32,
    /// 电动汽车唯一标识 — VIN 码，此处 VIN 码和充电时 VIN 码不同，正序直接上传，无需补 0 和反序
    ///
    /// ERRATA T7/R4: forward order here (no reversed, unlike 0x31/0xA1), but at least one pile sends it reversed in 0x3B: raw bytes kept; 17×0x00 or 17×0xFF = absent
    #[ykc(
        ascii,
        len = 17,
        name_zh = "电动汽车唯一标识",
        note_zh = "VIN 码，此处 VIN 码和充电时 VIN 码不同，正序直接上传，无需补 0 和反序"
    )]
    pub vin: ::ykc::Ascii<17>,
    /// 交易标识 — 0x01：app 启动 0x02：卡启动 0x04：离线卡启动 0x05: vin 码启动充电
    ///
    /// ERRATA T20: 0x03 unused; the sample sends 0x02 labelled 'app 启动'. R8: other values (e.g. 0x09 seen in the field) decode as Unknown(u8)
    #[ykc(
        uint,
        len = 1,
        enumeration,
        name_zh = "交易标识",
        note_zh = "0x01：app 启动 0x02：卡启动 0x04：离线卡启动 0x05: vin 码启动充电"
    )]
    pub trade_flag: TransactionRecordTradeFlag,
    /// 交易日期、时间 — CP56Time2a 格式
    #[ykc(
        cp56time,
        len = 7,
        name_zh = "交易日期、时间",
        note_zh = "CP56Time2a 格式"
    )]
    pub trade_time: ::ykc::Cp56Time,
    /// 停止原因 — 见附录 11.1
    ///
    /// ERRATA T19: 附录 11.1 does not exist; the table is 13.1 (spec/enums/stop_reason.yaml). §5/R8: reserved codes → Reserved, codes outside 0x40–0x90 (the sample sends 0x00 '无') → Unknown(u8)
    #[ykc(
        uint,
        len = 1,
        enumeration,
        name_zh = "停止原因",
        note_zh = "见附录 11.1"
    )]
    pub stop_reason: StopReason,
    /// 物理卡号 — 不足 8 位补 0
    ///
    /// ERRATA T5/R13: opaque 8 bytes, 4-byte UID right-aligned in wire order (sample 00000000D14B0A54); shown as hex of the wire bytes, never byte-swapped
    #[ykc(bytes, len = 8, name_zh = "物理卡号", note_zh = "不足 8 位补 0")]
    pub physical_card_no: ::ykc::Hex<8>,
    /// Bytes beyond the table, kept as received.
    #[ykc(trailing)]
    pub trailing: Vec<u8>,
    /// True when the body used the `legacy_meter_4byte` layout (156 bytes).
    #[ykc(layout)]
    pub alt_layout: bool,
}
#[doc(hidden)]
impl TransactionRecord {
    const __OFF: &'static [usize] = &[
        0usize,
        0usize + (16usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (5usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (5usize * 1usize) + (5usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (5usize * 1usize) + (5usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (5usize * 1usize) + (5usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (5usize * 1usize) + (5usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (5usize * 1usize) + (5usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (5usize * 1usize) + (5usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
            + (1usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (5usize * 1usize) + (5usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
            + (1usize * 1usize) + (7usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (5usize * 1usize) + (5usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
            + (1usize * 1usize) + (7usize * 1usize) + (1usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (5usize * 1usize) + (5usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
            + (1usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (8usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (5usize * 1usize) + (5usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
            + (1usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (8usize * 1usize),
    ];
    const __ALT_OFF: &'static [usize] = &[
        0usize,
        0usize + (16usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
            + (1usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
            + (1usize * 1usize) + (7usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
            + (1usize * 1usize) + (7usize * 1usize) + (1usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
            + (1usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (8usize * 1usize),
        0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
            + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
            + (1usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
            + (8usize * 1usize),
    ];
}
impl ::ykc::Record for TransactionRecord {
    type View<'a> = TransactionRecordView<'a>;
    const FIELDS: &'static [::ykc::FieldMeta] = &[
        ::ykc::FieldMeta {
            name: "transaction_serial",
            name_zh: "交易流水号",
            kind: ::ykc::meta::FieldKind::Bcd,
            len: 16usize,
            alt_len: 16usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "见名词解释",
        },
        ::ykc::FieldMeta {
            name: "pile_code",
            name_zh: "桩编号",
            kind: ::ykc::meta::FieldKind::Bcd,
            len: 7usize,
            alt_len: 7usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "不足 7 位补 0",
        },
        ::ykc::FieldMeta {
            name: "gun_no",
            name_zh: "枪号",
            kind: ::ykc::meta::FieldKind::Bcd,
            len: 1usize,
            alt_len: 1usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "",
        },
        ::ykc::FieldMeta {
            name: "start_time",
            name_zh: "开始时间",
            kind: ::ykc::meta::FieldKind::Cp56Time,
            len: 7usize,
            alt_len: 7usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "CP56Time2a 格式",
        },
        ::ykc::FieldMeta {
            name: "end_time",
            name_zh: "结束时间",
            kind: ::ykc::meta::FieldKind::Cp56Time,
            len: 7usize,
            alt_len: 7usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "CP56Time2a 格式",
        },
        ::ykc::FieldMeta {
            name: "sharp_price",
            name_zh: "尖单价",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 5u32,
            offset: 0i64,
            unit: "元/kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后五位（尖电费+尖服务费，见费率帧）",
        },
        ::ykc::FieldMeta {
            name: "sharp_energy",
            name_zh: "尖电量",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "sharp_loss_energy",
            name_zh: "计损尖电量",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "sharp_amount",
            name_zh: "尖金额",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "元",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "peak_price",
            name_zh: "峰单价",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 5u32,
            offset: 0i64,
            unit: "元/kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后五位（峰电费+峰服务费）",
        },
        ::ykc::FieldMeta {
            name: "peak_energy",
            name_zh: "峰电量",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "peak_loss_energy",
            name_zh: "计损峰电量",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "peak_amount",
            name_zh: "峰金额",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "元",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "flat_price",
            name_zh: "平单价",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 5u32,
            offset: 0i64,
            unit: "元/kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后五位（平电费+平服务费）",
        },
        ::ykc::FieldMeta {
            name: "flat_energy",
            name_zh: "平电量",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "flat_loss_energy",
            name_zh: "计损平电量",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "flat_amount",
            name_zh: "平金额",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "元",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "valley_price",
            name_zh: "谷单价",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 5u32,
            offset: 0i64,
            unit: "元/kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后五位（谷电费+谷服务费）",
        },
        ::ykc::FieldMeta {
            name: "valley_energy",
            name_zh: "谷电量",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "valley_loss_energy",
            name_zh: "计损谷电量",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "valley_amount",
            name_zh: "谷金额",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "元",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "meter_start",
            name_zh: "电表总起值",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 5usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "meter_stop",
            name_zh: "电表总止值",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 5usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "total_energy",
            name_zh: "总电量",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "total_loss_energy",
            name_zh: "计损总电量",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "kWh",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位",
        },
        ::ykc::FieldMeta {
            name: "total_amount",
            name_zh: "消费金额",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 4usize,
            alt_len: 4usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 4u32,
            offset: 0i64,
            unit: "元",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "精确到小数点后四位，包含电费、服务费",
        },
        ::ykc::FieldMeta {
            name: "vin",
            name_zh: "电动汽车唯一标识",
            kind: ::ykc::meta::FieldKind::Ascii,
            len: 17usize,
            alt_len: 17usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "VIN 码，此处 VIN 码和充电时 VIN 码不同，正序直接上传，无需补 0 和反序",
        },
        ::ykc::FieldMeta {
            name: "trade_flag",
            name_zh: "交易标识",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 1usize,
            alt_len: 1usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: <TransactionRecordTradeFlag as ::ykc::CodeEnum>::VALUES,
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "0x01：app 启动 0x02：卡启动 0x04：离线卡启动 0x05: vin 码启动充电",
        },
        ::ykc::FieldMeta {
            name: "trade_time",
            name_zh: "交易日期、时间",
            kind: ::ykc::meta::FieldKind::Cp56Time,
            len: 7usize,
            alt_len: 7usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "CP56Time2a 格式",
        },
        ::ykc::FieldMeta {
            name: "stop_reason",
            name_zh: "停止原因",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 1usize,
            alt_len: 1usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: <StopReason as ::ykc::CodeEnum>::VALUES,
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "见附录 11.1",
        },
        ::ykc::FieldMeta {
            name: "physical_card_no",
            name_zh: "物理卡号",
            kind: ::ykc::meta::FieldKind::Bytes,
            len: 8usize,
            alt_len: 8usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "不足 8 位补 0",
        },
        ::ykc::FieldMeta {
            name: "trailing",
            name_zh: "",
            kind: ::ykc::meta::FieldKind::Trailing,
            len: 0usize,
            alt_len: 0usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "",
        },
        ::ykc::FieldMeta {
            name: "alt_layout",
            name_zh: "",
            kind: ::ykc::meta::FieldKind::Layout,
            len: 0usize,
            alt_len: 0usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "",
        },
    ];
    const FIXED_LEN: usize = 0usize + (16usize * 1usize) + (7usize * 1usize)
        + (1usize * 1usize) + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize) + (5usize * 1usize)
        + (5usize * 1usize) + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
        + (17usize * 1usize) + (1usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
        + (8usize * 1usize);
    const ALT_LEN: usize = 0usize + (16usize * 1usize) + (7usize * 1usize)
        + (1usize * 1usize) + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
        + (17usize * 1usize) + (1usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
        + (8usize * 1usize);
    fn decode_at(
        bytes: &[u8],
        base: usize,
        cx: &mut ::ykc::record::DecodeCx,
    ) -> ::core::result::Result<Self, ::ykc::Error> {
        ::ykc::__private::check_len(cx.frame, bytes, Self::FIXED_LEN)?;
        let alt = Self::__is_alt(bytes);
        if alt {
            cx.warnings
                .push(::ykc::Warning {
                    field: "",
                    offset: base,
                    kind: ::ykc::WarningKind::AltLayout {
                        layout: "legacy_meter_4byte",
                    },
                });
        }
        let transaction_serial: ::ykc::Bcd<16> = ::ykc::__private::read_len::<
            ::ykc::Bcd<16>,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[0usize]
            } else {
                TransactionRecord::__OFF[0usize]
            },
            if alt { 16usize } else { 16usize },
            &<Self as ::ykc::Record>::FIELDS[0usize],
            base,
            cx,
        );
        let pile_code: ::ykc::Bcd<7> = ::ykc::__private::read_len::<
            ::ykc::Bcd<7>,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[1usize]
            } else {
                TransactionRecord::__OFF[1usize]
            },
            if alt { 7usize } else { 7usize },
            &<Self as ::ykc::Record>::FIELDS[1usize],
            base,
            cx,
        );
        let gun_no: ::ykc::Bcd<1> = ::ykc::__private::read_len::<
            ::ykc::Bcd<1>,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[2usize]
            } else {
                TransactionRecord::__OFF[2usize]
            },
            if alt { 1usize } else { 1usize },
            &<Self as ::ykc::Record>::FIELDS[2usize],
            base,
            cx,
        );
        let start_time: ::ykc::Cp56Time = ::ykc::__private::read_len::<
            ::ykc::Cp56Time,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[3usize]
            } else {
                TransactionRecord::__OFF[3usize]
            },
            if alt { 7usize } else { 7usize },
            &<Self as ::ykc::Record>::FIELDS[3usize],
            base,
            cx,
        );
        let end_time: ::ykc::Cp56Time = ::ykc::__private::read_len::<
            ::ykc::Cp56Time,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[4usize]
            } else {
                TransactionRecord::__OFF[4usize]
            },
            if alt { 7usize } else { 7usize },
            &<Self as ::ykc::Record>::FIELDS[4usize],
            base,
            cx,
        );
        let sharp_price: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[5usize]
            } else {
                TransactionRecord::__OFF[5usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[5usize],
            base,
            cx,
        );
        let sharp_energy: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[6usize]
            } else {
                TransactionRecord::__OFF[6usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[6usize],
            base,
            cx,
        );
        let sharp_loss_energy: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[7usize]
            } else {
                TransactionRecord::__OFF[7usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[7usize],
            base,
            cx,
        );
        let sharp_amount: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[8usize]
            } else {
                TransactionRecord::__OFF[8usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[8usize],
            base,
            cx,
        );
        let peak_price: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[9usize]
            } else {
                TransactionRecord::__OFF[9usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[9usize],
            base,
            cx,
        );
        let peak_energy: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[10usize]
            } else {
                TransactionRecord::__OFF[10usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[10usize],
            base,
            cx,
        );
        let peak_loss_energy: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[11usize]
            } else {
                TransactionRecord::__OFF[11usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[11usize],
            base,
            cx,
        );
        let peak_amount: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[12usize]
            } else {
                TransactionRecord::__OFF[12usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[12usize],
            base,
            cx,
        );
        let flat_price: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[13usize]
            } else {
                TransactionRecord::__OFF[13usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[13usize],
            base,
            cx,
        );
        let flat_energy: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[14usize]
            } else {
                TransactionRecord::__OFF[14usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[14usize],
            base,
            cx,
        );
        let flat_loss_energy: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[15usize]
            } else {
                TransactionRecord::__OFF[15usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[15usize],
            base,
            cx,
        );
        let flat_amount: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[16usize]
            } else {
                TransactionRecord::__OFF[16usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[16usize],
            base,
            cx,
        );
        let valley_price: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[17usize]
            } else {
                TransactionRecord::__OFF[17usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[17usize],
            base,
            cx,
        );
        let valley_energy: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[18usize]
            } else {
                TransactionRecord::__OFF[18usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[18usize],
            base,
            cx,
        );
        let valley_loss_energy: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[19usize]
            } else {
                TransactionRecord::__OFF[19usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[19usize],
            base,
            cx,
        );
        let valley_amount: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[20usize]
            } else {
                TransactionRecord::__OFF[20usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[20usize],
            base,
            cx,
        );
        let meter_start: u64 = ::ykc::__private::read_len::<
            u64,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[21usize]
            } else {
                TransactionRecord::__OFF[21usize]
            },
            if alt { 4usize } else { 5usize },
            &<Self as ::ykc::Record>::FIELDS[21usize],
            base,
            cx,
        );
        let meter_stop: u64 = ::ykc::__private::read_len::<
            u64,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[22usize]
            } else {
                TransactionRecord::__OFF[22usize]
            },
            if alt { 4usize } else { 5usize },
            &<Self as ::ykc::Record>::FIELDS[22usize],
            base,
            cx,
        );
        let total_energy: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[23usize]
            } else {
                TransactionRecord::__OFF[23usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[23usize],
            base,
            cx,
        );
        let total_loss_energy: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[24usize]
            } else {
                TransactionRecord::__OFF[24usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[24usize],
            base,
            cx,
        );
        let total_amount: u32 = ::ykc::__private::read_len::<
            u32,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[25usize]
            } else {
                TransactionRecord::__OFF[25usize]
            },
            if alt { 4usize } else { 4usize },
            &<Self as ::ykc::Record>::FIELDS[25usize],
            base,
            cx,
        );
        let vin: ::ykc::Ascii<17> = ::ykc::__private::read_len::<
            ::ykc::Ascii<17>,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[26usize]
            } else {
                TransactionRecord::__OFF[26usize]
            },
            if alt { 17usize } else { 17usize },
            &<Self as ::ykc::Record>::FIELDS[26usize],
            base,
            cx,
        );
        let trade_flag: TransactionRecordTradeFlag = ::ykc::__private::read_len::<
            TransactionRecordTradeFlag,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[27usize]
            } else {
                TransactionRecord::__OFF[27usize]
            },
            if alt { 1usize } else { 1usize },
            &<Self as ::ykc::Record>::FIELDS[27usize],
            base,
            cx,
        );
        let trade_time: ::ykc::Cp56Time = ::ykc::__private::read_len::<
            ::ykc::Cp56Time,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[28usize]
            } else {
                TransactionRecord::__OFF[28usize]
            },
            if alt { 7usize } else { 7usize },
            &<Self as ::ykc::Record>::FIELDS[28usize],
            base,
            cx,
        );
        let stop_reason: StopReason = ::ykc::__private::read_len::<
            StopReason,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[29usize]
            } else {
                TransactionRecord::__OFF[29usize]
            },
            if alt { 1usize } else { 1usize },
            &<Self as ::ykc::Record>::FIELDS[29usize],
            base,
            cx,
        );
        let physical_card_no: ::ykc::Hex<8> = ::ykc::__private::read_len::<
            ::ykc::Hex<8>,
        >(
            bytes,
            if alt {
                TransactionRecord::__ALT_OFF[30usize]
            } else {
                TransactionRecord::__OFF[30usize]
            },
            if alt { 8usize } else { 8usize },
            &<Self as ::ykc::Record>::FIELDS[30usize],
            base,
            cx,
        );
        let trailing = ::ykc::__private::trailing(
            cx.frame,
            bytes,
            if alt {
                0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
                    + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
                    + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                    + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                    + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                    + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                    + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                    + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                    + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
                    + (1usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
                    + (8usize * 1usize)
            } else {
                0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
                    + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
                    + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                    + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                    + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                    + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                    + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                    + (5usize * 1usize) + (5usize * 1usize) + (4usize * 1usize)
                    + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
                    + (1usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
                    + (8usize * 1usize)
            },
            cx,
        )?;
        let alt_layout = alt;
        ::core::result::Result::Ok(Self {
            transaction_serial,
            pile_code,
            gun_no,
            start_time,
            end_time,
            sharp_price,
            sharp_energy,
            sharp_loss_energy,
            sharp_amount,
            peak_price,
            peak_energy,
            peak_loss_energy,
            peak_amount,
            flat_price,
            flat_energy,
            flat_loss_energy,
            flat_amount,
            valley_price,
            valley_energy,
            valley_loss_energy,
            valley_amount,
            meter_start,
            meter_stop,
            total_energy,
            total_loss_energy,
            total_amount,
            vin,
            trade_flag,
            trade_time,
            stop_reason,
            physical_card_no,
            trailing,
            alt_layout,
        })
    }
    fn encode_to(
        &self,
        out: &mut ::ykc::__private::bytes::BytesMut,
        cx: &::ykc::record::EncodeCx,
    ) -> ::core::result::Result<(), ::ykc::Error> {
        ::ykc::__private::write::<
            ::ykc::Bcd<16>,
        >(
            &self.transaction_serial,
            16usize,
            &<Self as ::ykc::Record>::FIELDS[0usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            ::ykc::Bcd<7>,
        >(&self.pile_code, 7usize, &<Self as ::ykc::Record>::FIELDS[1usize], out, cx)?;
        ::ykc::__private::write::<
            ::ykc::Bcd<1>,
        >(&self.gun_no, 1usize, &<Self as ::ykc::Record>::FIELDS[2usize], out, cx)?;
        ::ykc::__private::write::<
            ::ykc::Cp56Time,
        >(&self.start_time, 7usize, &<Self as ::ykc::Record>::FIELDS[3usize], out, cx)?;
        ::ykc::__private::write::<
            ::ykc::Cp56Time,
        >(&self.end_time, 7usize, &<Self as ::ykc::Record>::FIELDS[4usize], out, cx)?;
        ::ykc::__private::write::<
            u32,
        >(&self.sharp_price, 4usize, &<Self as ::ykc::Record>::FIELDS[5usize], out, cx)?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.sharp_energy,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[6usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.sharp_loss_energy,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[7usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.sharp_amount,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[8usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(&self.peak_price, 4usize, &<Self as ::ykc::Record>::FIELDS[9usize], out, cx)?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.peak_energy,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[10usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.peak_loss_energy,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[11usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.peak_amount,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[12usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(&self.flat_price, 4usize, &<Self as ::ykc::Record>::FIELDS[13usize], out, cx)?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.flat_energy,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[14usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.flat_loss_energy,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[15usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.flat_amount,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[16usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.valley_price,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[17usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.valley_energy,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[18usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.valley_loss_energy,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[19usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.valley_amount,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[20usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u64,
        >(
            &self.meter_start,
            if self.alt_layout { 4usize } else { 5usize },
            &<Self as ::ykc::Record>::FIELDS[21usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u64,
        >(
            &self.meter_stop,
            if self.alt_layout { 4usize } else { 5usize },
            &<Self as ::ykc::Record>::FIELDS[22usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.total_energy,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[23usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.total_loss_energy,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[24usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            u32,
        >(
            &self.total_amount,
            4usize,
            &<Self as ::ykc::Record>::FIELDS[25usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            ::ykc::Ascii<17>,
        >(&self.vin, 17usize, &<Self as ::ykc::Record>::FIELDS[26usize], out, cx)?;
        ::ykc::__private::write::<
            TransactionRecordTradeFlag,
        >(&self.trade_flag, 1usize, &<Self as ::ykc::Record>::FIELDS[27usize], out, cx)?;
        ::ykc::__private::write::<
            ::ykc::Cp56Time,
        >(&self.trade_time, 7usize, &<Self as ::ykc::Record>::FIELDS[28usize], out, cx)?;
        ::ykc::__private::write::<
            StopReason,
        >(
            &self.stop_reason,
            1usize,
            &<Self as ::ykc::Record>::FIELDS[29usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            ::ykc::Hex<8>,
        >(
            &self.physical_card_no,
            8usize,
            &<Self as ::ykc::Record>::FIELDS[30usize],
            out,
            cx,
        )?;
        out.extend_from_slice(&self.trailing);
        ::core::result::Result::Ok(())
    }
    fn from_json(
        v: &::ykc::__private::serde_json::Value,
        path: &str,
    ) -> ::core::result::Result<Self, ::ykc::Error> {
        let obj = ::ykc::__private::json_object(v, path)?;
        let transaction_serial = ::ykc::__private::json_field::<
            ::ykc::Bcd<16>,
        >(obj, &<Self as ::ykc::Record>::FIELDS[0usize], path)?;
        let pile_code = ::ykc::__private::json_field::<
            ::ykc::Bcd<7>,
        >(obj, &<Self as ::ykc::Record>::FIELDS[1usize], path)?;
        let gun_no = ::ykc::__private::json_field::<
            ::ykc::Bcd<1>,
        >(obj, &<Self as ::ykc::Record>::FIELDS[2usize], path)?;
        let start_time = ::ykc::__private::json_field::<
            ::ykc::Cp56Time,
        >(obj, &<Self as ::ykc::Record>::FIELDS[3usize], path)?;
        let end_time = ::ykc::__private::json_field::<
            ::ykc::Cp56Time,
        >(obj, &<Self as ::ykc::Record>::FIELDS[4usize], path)?;
        let sharp_price = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[5usize], path)?;
        let sharp_energy = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[6usize], path)?;
        let sharp_loss_energy = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[7usize], path)?;
        let sharp_amount = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[8usize], path)?;
        let peak_price = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[9usize], path)?;
        let peak_energy = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[10usize], path)?;
        let peak_loss_energy = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[11usize], path)?;
        let peak_amount = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[12usize], path)?;
        let flat_price = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[13usize], path)?;
        let flat_energy = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[14usize], path)?;
        let flat_loss_energy = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[15usize], path)?;
        let flat_amount = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[16usize], path)?;
        let valley_price = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[17usize], path)?;
        let valley_energy = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[18usize], path)?;
        let valley_loss_energy = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[19usize], path)?;
        let valley_amount = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[20usize], path)?;
        let meter_start = ::ykc::__private::json_field::<
            u64,
        >(obj, &<Self as ::ykc::Record>::FIELDS[21usize], path)?;
        let meter_stop = ::ykc::__private::json_field::<
            u64,
        >(obj, &<Self as ::ykc::Record>::FIELDS[22usize], path)?;
        let total_energy = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[23usize], path)?;
        let total_loss_energy = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[24usize], path)?;
        let total_amount = ::ykc::__private::json_field::<
            u32,
        >(obj, &<Self as ::ykc::Record>::FIELDS[25usize], path)?;
        let vin = ::ykc::__private::json_field::<
            ::ykc::Ascii<17>,
        >(obj, &<Self as ::ykc::Record>::FIELDS[26usize], path)?;
        let trade_flag = ::ykc::__private::json_field::<
            TransactionRecordTradeFlag,
        >(obj, &<Self as ::ykc::Record>::FIELDS[27usize], path)?;
        let trade_time = ::ykc::__private::json_field::<
            ::ykc::Cp56Time,
        >(obj, &<Self as ::ykc::Record>::FIELDS[28usize], path)?;
        let stop_reason = ::ykc::__private::json_field::<
            StopReason,
        >(obj, &<Self as ::ykc::Record>::FIELDS[29usize], path)?;
        let physical_card_no = ::ykc::__private::json_field::<
            ::ykc::Hex<8>,
        >(obj, &<Self as ::ykc::Record>::FIELDS[30usize], path)?;
        let trailing = ::ykc::__private::json_trailing(obj, path)?;
        let alt_layout = ::ykc::__private::json_layout(obj, "legacy_meter_4byte");
        ::core::result::Result::Ok(Self {
            transaction_serial,
            pile_code,
            gun_no,
            start_time,
            end_time,
            sharp_price,
            sharp_energy,
            sharp_loss_energy,
            sharp_amount,
            peak_price,
            peak_energy,
            peak_loss_energy,
            peak_amount,
            flat_price,
            flat_energy,
            flat_loss_energy,
            flat_amount,
            valley_price,
            valley_energy,
            valley_loss_energy,
            valley_amount,
            meter_start,
            meter_stop,
            total_energy,
            total_loss_energy,
            total_amount,
            vin,
            trade_flag,
            trade_time,
            stop_reason,
            physical_card_no,
            trailing,
            alt_layout,
        })
    }
    fn view_of(bytes: &[u8]) -> TransactionRecordView<'_> {
        TransactionRecordView {
            bytes,
            alt: Self::__is_alt(bytes),
        }
    }
    fn write_json(&self, out: &mut ::std::vec::Vec<u8>) {
        self.__write_json(out)
    }
}
impl TransactionRecord {
    #[doc(hidden)]
    fn __write_json(&self, out: &mut ::std::vec::Vec<u8>) {
        out.push(b'{');
        out.extend_from_slice(b"\"transaction_serial\":");
        ::ykc::WireValue::write_json_bytes(
            &self.transaction_serial,
            &<Self as ::ykc::Record>::FIELDS[0usize],
            out,
        );
        out.extend_from_slice(b",\"pile_code\":");
        ::ykc::WireValue::write_json_bytes(
            &self.pile_code,
            &<Self as ::ykc::Record>::FIELDS[1usize],
            out,
        );
        out.extend_from_slice(b",\"gun_no\":");
        ::ykc::WireValue::write_json_bytes(
            &self.gun_no,
            &<Self as ::ykc::Record>::FIELDS[2usize],
            out,
        );
        out.extend_from_slice(b",\"start_time\":");
        ::ykc::WireValue::write_json_bytes(
            &self.start_time,
            &<Self as ::ykc::Record>::FIELDS[3usize],
            out,
        );
        out.extend_from_slice(b",\"end_time\":");
        ::ykc::WireValue::write_json_bytes(
            &self.end_time,
            &<Self as ::ykc::Record>::FIELDS[4usize],
            out,
        );
        out.extend_from_slice(b",\"sharp_price\":");
        ::ykc::WireValue::write_json_bytes(
            &self.sharp_price,
            &<Self as ::ykc::Record>::FIELDS[5usize],
            out,
        );
        out.extend_from_slice(b",\"sharp_energy\":");
        ::ykc::WireValue::write_json_bytes(
            &self.sharp_energy,
            &<Self as ::ykc::Record>::FIELDS[6usize],
            out,
        );
        out.extend_from_slice(b",\"sharp_loss_energy\":");
        ::ykc::WireValue::write_json_bytes(
            &self.sharp_loss_energy,
            &<Self as ::ykc::Record>::FIELDS[7usize],
            out,
        );
        out.extend_from_slice(b",\"sharp_amount\":");
        ::ykc::WireValue::write_json_bytes(
            &self.sharp_amount,
            &<Self as ::ykc::Record>::FIELDS[8usize],
            out,
        );
        out.extend_from_slice(b",\"peak_price\":");
        ::ykc::WireValue::write_json_bytes(
            &self.peak_price,
            &<Self as ::ykc::Record>::FIELDS[9usize],
            out,
        );
        out.extend_from_slice(b",\"peak_energy\":");
        ::ykc::WireValue::write_json_bytes(
            &self.peak_energy,
            &<Self as ::ykc::Record>::FIELDS[10usize],
            out,
        );
        out.extend_from_slice(b",\"peak_loss_energy\":");
        ::ykc::WireValue::write_json_bytes(
            &self.peak_loss_energy,
            &<Self as ::ykc::Record>::FIELDS[11usize],
            out,
        );
        out.extend_from_slice(b",\"peak_amount\":");
        ::ykc::WireValue::write_json_bytes(
            &self.peak_amount,
            &<Self as ::ykc::Record>::FIELDS[12usize],
            out,
        );
        out.extend_from_slice(b",\"flat_price\":");
        ::ykc::WireValue::write_json_bytes(
            &self.flat_price,
            &<Self as ::ykc::Record>::FIELDS[13usize],
            out,
        );
        out.extend_from_slice(b",\"flat_energy\":");
        ::ykc::WireValue::write_json_bytes(
            &self.flat_energy,
            &<Self as ::ykc::Record>::FIELDS[14usize],
            out,
        );
        out.extend_from_slice(b",\"flat_loss_energy\":");
        ::ykc::WireValue::write_json_bytes(
            &self.flat_loss_energy,
            &<Self as ::ykc::Record>::FIELDS[15usize],
            out,
        );
        out.extend_from_slice(b",\"flat_amount\":");
        ::ykc::WireValue::write_json_bytes(
            &self.flat_amount,
            &<Self as ::ykc::Record>::FIELDS[16usize],
            out,
        );
        out.extend_from_slice(b",\"valley_price\":");
        ::ykc::WireValue::write_json_bytes(
            &self.valley_price,
            &<Self as ::ykc::Record>::FIELDS[17usize],
            out,
        );
        out.extend_from_slice(b",\"valley_energy\":");
        ::ykc::WireValue::write_json_bytes(
            &self.valley_energy,
            &<Self as ::ykc::Record>::FIELDS[18usize],
            out,
        );
        out.extend_from_slice(b",\"valley_loss_energy\":");
        ::ykc::WireValue::write_json_bytes(
            &self.valley_loss_energy,
            &<Self as ::ykc::Record>::FIELDS[19usize],
            out,
        );
        out.extend_from_slice(b",\"valley_amount\":");
        ::ykc::WireValue::write_json_bytes(
            &self.valley_amount,
            &<Self as ::ykc::Record>::FIELDS[20usize],
            out,
        );
        out.extend_from_slice(b",\"meter_start\":");
        ::ykc::WireValue::write_json_bytes(
            &self.meter_start,
            &<Self as ::ykc::Record>::FIELDS[21usize],
            out,
        );
        out.extend_from_slice(b",\"meter_stop\":");
        ::ykc::WireValue::write_json_bytes(
            &self.meter_stop,
            &<Self as ::ykc::Record>::FIELDS[22usize],
            out,
        );
        out.extend_from_slice(b",\"total_energy\":");
        ::ykc::WireValue::write_json_bytes(
            &self.total_energy,
            &<Self as ::ykc::Record>::FIELDS[23usize],
            out,
        );
        out.extend_from_slice(b",\"total_loss_energy\":");
        ::ykc::WireValue::write_json_bytes(
            &self.total_loss_energy,
            &<Self as ::ykc::Record>::FIELDS[24usize],
            out,
        );
        out.extend_from_slice(b",\"total_amount\":");
        ::ykc::WireValue::write_json_bytes(
            &self.total_amount,
            &<Self as ::ykc::Record>::FIELDS[25usize],
            out,
        );
        out.extend_from_slice(b",\"vin\":");
        ::ykc::WireValue::write_json_bytes(
            &self.vin,
            &<Self as ::ykc::Record>::FIELDS[26usize],
            out,
        );
        out.extend_from_slice(b",\"trade_flag\":");
        ::ykc::WireValue::write_json_bytes(
            &self.trade_flag,
            &<Self as ::ykc::Record>::FIELDS[27usize],
            out,
        );
        out.extend_from_slice(b",\"trade_time\":");
        ::ykc::WireValue::write_json_bytes(
            &self.trade_time,
            &<Self as ::ykc::Record>::FIELDS[28usize],
            out,
        );
        out.extend_from_slice(b",\"stop_reason\":");
        ::ykc::WireValue::write_json_bytes(
            &self.stop_reason,
            &<Self as ::ykc::Record>::FIELDS[29usize],
            out,
        );
        out.extend_from_slice(b",\"physical_card_no\":");
        ::ykc::WireValue::write_json_bytes(
            &self.physical_card_no,
            &<Self as ::ykc::Record>::FIELDS[30usize],
            out,
        );
        if !self.trailing.is_empty() {
            out.extend_from_slice(b",\"trailing\":");
            ::ykc::value::push_hex_json(out, "", &self.trailing);
        }
        if self.alt_layout {
            out.extend_from_slice(b",\"layout\":\"legacy_meter_4byte\"");
        }
        out.push(b'}');
    }
}
impl ::ykc::__private::serde::Serialize for TransactionRecord {
    fn serialize<S: ::ykc::__private::serde::Serializer>(
        &self,
        s: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::ykc::__private::serialize_rendered(|out| self.__write_json(out), s)
    }
}
///A zero-copy view over the bytes of a [`TransactionRecord`]: one accessor per field, no allocation.
#[derive(Debug, Clone, Copy)]
pub struct TransactionRecordView<'a> {
    bytes: &'a [u8],
    alt: bool,
}
impl<'a> TransactionRecordView<'a> {
    /// The bytes the view reads.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    ///`transaction_serial` 交易流水号
    pub fn transaction_serial(&self) -> <::ykc::Bcd<16> as ::ykc::WireValue>::View<'a> {
        <::ykc::Bcd<
            16,
        > as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[0usize]
                } else {
                    TransactionRecord::__OFF[0usize]
                },
                if self.alt { 16usize } else { 16usize },
            ),
        )
    }
    ///`pile_code` 桩编号
    pub fn pile_code(&self) -> <::ykc::Bcd<7> as ::ykc::WireValue>::View<'a> {
        <::ykc::Bcd<
            7,
        > as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[1usize]
                } else {
                    TransactionRecord::__OFF[1usize]
                },
                if self.alt { 7usize } else { 7usize },
            ),
        )
    }
    ///`gun_no` 枪号
    pub fn gun_no(&self) -> <::ykc::Bcd<1> as ::ykc::WireValue>::View<'a> {
        <::ykc::Bcd<
            1,
        > as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[2usize]
                } else {
                    TransactionRecord::__OFF[2usize]
                },
                if self.alt { 1usize } else { 1usize },
            ),
        )
    }
    ///`start_time` 开始时间
    pub fn start_time(&self) -> <::ykc::Cp56Time as ::ykc::WireValue>::View<'a> {
        <::ykc::Cp56Time as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[3usize]
                } else {
                    TransactionRecord::__OFF[3usize]
                },
                if self.alt { 7usize } else { 7usize },
            ),
        )
    }
    ///`end_time` 结束时间
    pub fn end_time(&self) -> <::ykc::Cp56Time as ::ykc::WireValue>::View<'a> {
        <::ykc::Cp56Time as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[4usize]
                } else {
                    TransactionRecord::__OFF[4usize]
                },
                if self.alt { 7usize } else { 7usize },
            ),
        )
    }
    ///`sharp_price` 尖单价
    pub fn sharp_price(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[5usize]
                } else {
                    TransactionRecord::__OFF[5usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`sharp_energy` 尖电量
    pub fn sharp_energy(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[6usize]
                } else {
                    TransactionRecord::__OFF[6usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`sharp_loss_energy` 计损尖电量
    pub fn sharp_loss_energy(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[7usize]
                } else {
                    TransactionRecord::__OFF[7usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`sharp_amount` 尖金额
    pub fn sharp_amount(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[8usize]
                } else {
                    TransactionRecord::__OFF[8usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`peak_price` 峰单价
    pub fn peak_price(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[9usize]
                } else {
                    TransactionRecord::__OFF[9usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`peak_energy` 峰电量
    pub fn peak_energy(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[10usize]
                } else {
                    TransactionRecord::__OFF[10usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`peak_loss_energy` 计损峰电量
    pub fn peak_loss_energy(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[11usize]
                } else {
                    TransactionRecord::__OFF[11usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`peak_amount` 峰金额
    pub fn peak_amount(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[12usize]
                } else {
                    TransactionRecord::__OFF[12usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`flat_price` 平单价
    pub fn flat_price(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[13usize]
                } else {
                    TransactionRecord::__OFF[13usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`flat_energy` 平电量
    pub fn flat_energy(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[14usize]
                } else {
                    TransactionRecord::__OFF[14usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`flat_loss_energy` 计损平电量
    pub fn flat_loss_energy(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[15usize]
                } else {
                    TransactionRecord::__OFF[15usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`flat_amount` 平金额
    pub fn flat_amount(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[16usize]
                } else {
                    TransactionRecord::__OFF[16usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`valley_price` 谷单价
    pub fn valley_price(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[17usize]
                } else {
                    TransactionRecord::__OFF[17usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`valley_energy` 谷电量
    pub fn valley_energy(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[18usize]
                } else {
                    TransactionRecord::__OFF[18usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`valley_loss_energy` 计损谷电量
    pub fn valley_loss_energy(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[19usize]
                } else {
                    TransactionRecord::__OFF[19usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`valley_amount` 谷金额
    pub fn valley_amount(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[20usize]
                } else {
                    TransactionRecord::__OFF[20usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`meter_start` 电表总起值
    pub fn meter_start(&self) -> <u64 as ::ykc::WireValue>::View<'a> {
        <u64 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[21usize]
                } else {
                    TransactionRecord::__OFF[21usize]
                },
                if self.alt { 4usize } else { 5usize },
            ),
        )
    }
    ///`meter_stop` 电表总止值
    pub fn meter_stop(&self) -> <u64 as ::ykc::WireValue>::View<'a> {
        <u64 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[22usize]
                } else {
                    TransactionRecord::__OFF[22usize]
                },
                if self.alt { 4usize } else { 5usize },
            ),
        )
    }
    ///`total_energy` 总电量
    pub fn total_energy(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[23usize]
                } else {
                    TransactionRecord::__OFF[23usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`total_loss_energy` 计损总电量
    pub fn total_loss_energy(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[24usize]
                } else {
                    TransactionRecord::__OFF[24usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`total_amount` 消费金额
    pub fn total_amount(&self) -> <u32 as ::ykc::WireValue>::View<'a> {
        <u32 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[25usize]
                } else {
                    TransactionRecord::__OFF[25usize]
                },
                if self.alt { 4usize } else { 4usize },
            ),
        )
    }
    ///`vin` 电动汽车唯一标识
    pub fn vin(&self) -> <::ykc::Ascii<17> as ::ykc::WireValue>::View<'a> {
        <::ykc::Ascii<
            17,
        > as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[26usize]
                } else {
                    TransactionRecord::__OFF[26usize]
                },
                if self.alt { 17usize } else { 17usize },
            ),
        )
    }
    ///`trade_flag` 交易标识
    pub fn trade_flag(
        &self,
    ) -> <TransactionRecordTradeFlag as ::ykc::WireValue>::View<'a> {
        <TransactionRecordTradeFlag as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[27usize]
                } else {
                    TransactionRecord::__OFF[27usize]
                },
                if self.alt { 1usize } else { 1usize },
            ),
        )
    }
    ///`trade_time` 交易日期、时间
    pub fn trade_time(&self) -> <::ykc::Cp56Time as ::ykc::WireValue>::View<'a> {
        <::ykc::Cp56Time as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[28usize]
                } else {
                    TransactionRecord::__OFF[28usize]
                },
                if self.alt { 7usize } else { 7usize },
            ),
        )
    }
    ///`stop_reason` 停止原因
    pub fn stop_reason(&self) -> <StopReason as ::ykc::WireValue>::View<'a> {
        <StopReason as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[29usize]
                } else {
                    TransactionRecord::__OFF[29usize]
                },
                if self.alt { 1usize } else { 1usize },
            ),
        )
    }
    ///`physical_card_no` 物理卡号
    pub fn physical_card_no(&self) -> <::ykc::Hex<8> as ::ykc::WireValue>::View<'a> {
        <::ykc::Hex<
            8,
        > as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                if self.alt {
                    TransactionRecord::__ALT_OFF[30usize]
                } else {
                    TransactionRecord::__OFF[30usize]
                },
                if self.alt { 8usize } else { 8usize },
            ),
        )
    }
    ///`trailing`
    pub fn trailing(&self) -> &'a [u8] {
        self.bytes
            .get(
                if self.alt {
                    0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
                        + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
                        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                        + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
                        + (1usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
                        + (8usize * 1usize)
                } else {
                    0usize + (16usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
                        + (7usize * 1usize) + (7usize * 1usize) + (4usize * 1usize)
                        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                        + (4usize * 1usize) + (4usize * 1usize) + (4usize * 1usize)
                        + (5usize * 1usize) + (5usize * 1usize) + (4usize * 1usize)
                        + (4usize * 1usize) + (4usize * 1usize) + (17usize * 1usize)
                        + (1usize * 1usize) + (7usize * 1usize) + (1usize * 1usize)
                        + (8usize * 1usize)
                }..,
            )
            .unwrap_or_default()
    }
    ///`alt_layout`
    pub fn alt_layout(&self) -> bool {
        self.alt
    }
}
#[doc(hidden)]
impl TransactionRecord {
    fn __is_alt(bytes: &[u8]) -> bool {
        bytes.len() == 156usize
    }
}
impl ::ykc::Frame for TransactionRecord {
    const CODE: u8 = 59u8;
    const META: &'static ::ykc::FrameMeta = &::ykc::FrameMeta {
        code: 59u8,
        name: "transaction_record",
        name_zh: "交易记录",
        section: "8.7",
        direction: ::ykc::Direction::Up,
        reply: ::core::option::Option::Some(64u8),
        body_len: ::ykc::meta::BodyLen {
            fixed: <Self as ::ykc::Record>::FIXED_LEN,
            item: 0usize,
            max_items: 0usize,
            alt: 156usize,
            trailing: true,
        },
        fields: <Self as ::ykc::Record>::FIELDS,
        answer: ::core::option::Option::None,
        role: ::core::option::Option::Some(::ykc::meta::Role::TransactionRecord),
    };
}
/// 确认结果 (`confirm_result` of transaction_record_ack).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::ykc::CodeEnum)]
pub enum TransactionRecordAckConfirmResult {
    /// 上传成功
    #[ykc(code = 0x00, name = "success", zh = "上传成功")]
    Success,
    /// 非法账单
    #[ykc(code = 0x01, name = "invalid_bill", zh = "非法账单")]
    InvalidBill,
    /// A code the table does not list (kept as received, any width).
    Unknown(u64),
}
impl ::ykc::CodeEnum for TransactionRecordAckConfirmResult {
    const VALUES: &'static [::ykc::meta::EnumValue] = &[
        ::ykc::meta::EnumValue {
            code: 0u64,
            name: "success",
            zh: "上传成功",
        },
        ::ykc::meta::EnumValue {
            code: 1u64,
            name: "invalid_bill",
            zh: "非法账单",
        },
    ];
    fn from_code(code: u64) -> Self {
        match code {
            0u64 => TransactionRecordAckConfirmResult::Success,
            1u64 => TransactionRecordAckConfirmResult::InvalidBill,
            other => TransactionRecordAckConfirmResult::Unknown(other),
        }
    }
    fn json_fragment(
        &self,
    ) -> ::core::option::Option<&'static ::ykc::__private::serde_json::value::RawValue> {
        static FRAGMENTS: ::ykc::__private::Fragments = ::std::sync::OnceLock::new();
        let i = match self {
            TransactionRecordAckConfirmResult::Success => 0usize,
            TransactionRecordAckConfirmResult::InvalidBill => 1usize,
            TransactionRecordAckConfirmResult::Unknown(_) => {
                return ::core::option::Option::None;
            }
        };
        let all = FRAGMENTS
            .get_or_init(|| ::ykc::value::render_fragments(
                <Self as ::ykc::CodeEnum>::VALUES,
            ));
        all.get(i).and_then(|f| f.as_deref())
    }
    fn code(&self) -> u64 {
        match self {
            TransactionRecordAckConfirmResult::Success => 0u64,
            TransactionRecordAckConfirmResult::InvalidBill => 1u64,
            TransactionRecordAckConfirmResult::Unknown(c) => *c,
        }
    }
}
/// 0x40 交易记录确认 — `transaction_record_ack` (§8.8), platform → pile.
///
/// 运营平台接收到结算账单上传后，都需回复此确认信息。若桩未收到回复帧，则 5 分钟后继续上送一次交易记录，此情况下无论平台是否成功回复都停止上送。这一帧仅是报文交互使用，意指平台成功接收到交易记录报文，并不代表交易订单成功结算
///
/// ERRATA D7: the 5.4 flow diagram shows 交易记录确认 as 0x3A; the section (0x40) wins
///
/// ERRATA T27: 8.8 says resend once after 5 min, 8.7 says retry every 30 s, max 3; session-layer note
#[derive(Debug, Clone, PartialEq, ::ykc::Frame)]
#[ykc(
    code = 0x40,
    name = "transaction_record_ack",
    name_zh = "交易记录确认",
    section = "8.8",
    direction = "down",
    answer = "TRANSACTION_RECORD_ACK_ANSWER"
)]
pub struct TransactionRecordAck {
    /// 交易流水号
    #[ykc(bcd, len = 16, go = "tradeSeq", name_zh = "交易流水号")]
    pub transaction_serial: ::ykc::Bcd<16>,
    /// 确认结果 — 0x00 上传成功 0x01 非法账单
    ///
    /// ERRATA R9: 0x00 = success in this frame; enum not shared
    #[ykc(
        uint,
        len = 1,
        enumeration,
        go = "result",
        name_zh = "确认结果",
        note_zh = "0x00 上传成功 0x01 非法账单"
    )]
    pub confirm_result: TransactionRecordAckConfirmResult,
}
#[doc(hidden)]
impl TransactionRecordAck {
    const __OFF: &'static [usize] = &[0usize, 0usize + (16usize * 1usize)];
    const __ALT_OFF: &'static [usize] = &[0usize, 0usize + (16usize * 1usize)];
}
impl ::ykc::Record for TransactionRecordAck {
    type View<'a> = TransactionRecordAckView<'a>;
    const FIELDS: &'static [::ykc::FieldMeta] = &[
        ::ykc::FieldMeta {
            name: "transaction_serial",
            name_zh: "交易流水号",
            kind: ::ykc::meta::FieldKind::Bcd,
            len: 16usize,
            alt_len: 16usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: &[],
            go: "tradeSeq",
            go_bool: ::core::option::Option::None,
            note_zh: "",
        },
        ::ykc::FieldMeta {
            name: "confirm_result",
            name_zh: "确认结果",
            kind: ::ykc::meta::FieldKind::Uint,
            len: 1usize,
            alt_len: 1usize,
            repeat: ::ykc::meta::Repeat::Once,
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: <TransactionRecordAckConfirmResult as ::ykc::CodeEnum>::VALUES,
            items: &[],
            go: "result",
            go_bool: ::core::option::Option::None,
            note_zh: "0x00 上传成功 0x01 非法账单",
        },
    ];
    const FIXED_LEN: usize = 0usize + (16usize * 1usize) + (1usize * 1usize);
    const ALT_LEN: usize = 0usize + (16usize * 1usize) + (1usize * 1usize);
    fn decode_at(
        bytes: &[u8],
        base: usize,
        cx: &mut ::ykc::record::DecodeCx,
    ) -> ::core::result::Result<Self, ::ykc::Error> {
        ::ykc::__private::check_len(cx.frame, bytes, Self::FIXED_LEN)?;
        let transaction_serial: ::ykc::Bcd<16> = ::ykc::__private::read_len::<
            ::ykc::Bcd<16>,
        >(
            bytes,
            TransactionRecordAck::__OFF[0usize],
            16usize,
            &<Self as ::ykc::Record>::FIELDS[0usize],
            base,
            cx,
        );
        let confirm_result: TransactionRecordAckConfirmResult = ::ykc::__private::read_len::<
            TransactionRecordAckConfirmResult,
        >(
            bytes,
            TransactionRecordAck::__OFF[1usize],
            1usize,
            &<Self as ::ykc::Record>::FIELDS[1usize],
            base,
            cx,
        );
        ::ykc::__private::trailing(
            cx.frame,
            bytes,
            0usize + (16usize * 1usize) + (1usize * 1usize),
            cx,
        )?;
        ::core::result::Result::Ok(Self {
            transaction_serial,
            confirm_result,
        })
    }
    fn encode_to(
        &self,
        out: &mut ::ykc::__private::bytes::BytesMut,
        cx: &::ykc::record::EncodeCx,
    ) -> ::core::result::Result<(), ::ykc::Error> {
        ::ykc::__private::write::<
            ::ykc::Bcd<16>,
        >(
            &self.transaction_serial,
            16usize,
            &<Self as ::ykc::Record>::FIELDS[0usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            TransactionRecordAckConfirmResult,
        >(
            &self.confirm_result,
            1usize,
            &<Self as ::ykc::Record>::FIELDS[1usize],
            out,
            cx,
        )?;
        ::core::result::Result::Ok(())
    }
    fn from_json(
        v: &::ykc::__private::serde_json::Value,
        path: &str,
    ) -> ::core::result::Result<Self, ::ykc::Error> {
        let obj = ::ykc::__private::json_object(v, path)?;
        let transaction_serial = ::ykc::__private::json_field::<
            ::ykc::Bcd<16>,
        >(obj, &<Self as ::ykc::Record>::FIELDS[0usize], path)?;
        let confirm_result = ::ykc::__private::json_field::<
            TransactionRecordAckConfirmResult,
        >(obj, &<Self as ::ykc::Record>::FIELDS[1usize], path)?;
        ::core::result::Result::Ok(Self {
            transaction_serial,
            confirm_result,
        })
    }
    fn view_of(bytes: &[u8]) -> TransactionRecordAckView<'_> {
        TransactionRecordAckView {
            bytes,
            alt: Self::__is_alt(bytes),
        }
    }
    fn write_json(&self, out: &mut ::std::vec::Vec<u8>) {
        self.__write_json(out)
    }
}
impl TransactionRecordAck {
    #[doc(hidden)]
    fn __write_json(&self, out: &mut ::std::vec::Vec<u8>) {
        out.push(b'{');
        out.extend_from_slice(b"\"transaction_serial\":");
        ::ykc::WireValue::write_json_bytes(
            &self.transaction_serial,
            &<Self as ::ykc::Record>::FIELDS[0usize],
            out,
        );
        out.extend_from_slice(b",\"confirm_result\":");
        ::ykc::WireValue::write_json_bytes(
            &self.confirm_result,
            &<Self as ::ykc::Record>::FIELDS[1usize],
            out,
        );
        out.push(b'}');
    }
}
impl ::ykc::__private::serde::Serialize for TransactionRecordAck {
    fn serialize<S: ::ykc::__private::serde::Serializer>(
        &self,
        s: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::ykc::__private::serialize_rendered(|out| self.__write_json(out), s)
    }
}
///A zero-copy view over the bytes of a [`TransactionRecordAck`]: one accessor per field, no allocation.
#[derive(Debug, Clone, Copy)]
pub struct TransactionRecordAckView<'a> {
    bytes: &'a [u8],
    alt: bool,
}
impl<'a> TransactionRecordAckView<'a> {
    /// The bytes the view reads.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    ///`transaction_serial` 交易流水号
    pub fn transaction_serial(&self) -> <::ykc::Bcd<16> as ::ykc::WireValue>::View<'a> {
        <::ykc::Bcd<
            16,
        > as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                TransactionRecordAck::__OFF[0usize],
                16usize,
            ),
        )
    }
    ///`confirm_result` 确认结果
    pub fn confirm_result(
        &self,
    ) -> <TransactionRecordAckConfirmResult as ::ykc::WireValue>::View<'a> {
        <TransactionRecordAckConfirmResult as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                TransactionRecordAck::__OFF[1usize],
                1usize,
            ),
        )
    }
}
#[doc(hidden)]
impl TransactionRecordAck {
    fn __is_alt(_: &[u8]) -> bool {
        false
    }
}
impl ::ykc::Frame for TransactionRecordAck {
    const CODE: u8 = 64u8;
    const META: &'static ::ykc::FrameMeta = &::ykc::FrameMeta {
        code: 64u8,
        name: "transaction_record_ack",
        name_zh: "交易记录确认",
        section: "8.8",
        direction: ::ykc::Direction::Down,
        reply: ::core::option::Option::None,
        body_len: ::ykc::meta::BodyLen {
            fixed: <Self as ::ykc::Record>::FIXED_LEN,
            item: 0usize,
            max_items: 0usize,
            alt: 0usize,
            trailing: false,
        },
        fields: <Self as ::ykc::Record>::FIELDS,
        answer: ::core::option::Option::Some(&TRANSACTION_RECORD_ACK_ANSWER),
        role: ::core::option::Option::None,
    };
}
