// @generated: `OfflineCardSyncRequest*` from spec/, expanded by ykc-derive. Update: YKC_BLESS=1 cargo test -p ykc-derive golden

/// One item of `cards` (第 1 个卡 … 第 N 个卡) in offline_card_sync_request.
#[derive(Debug, Clone, PartialEq, ::ykc::Record)]
pub struct OfflineCardSyncRequestCardsItem {
    /// 第 1 个卡逻辑卡号 — 离线卡逻辑卡号
    #[ykc(
        bcd,
        len = 8,
        name_zh = "第 1 个卡逻辑卡号",
        note_zh = "离线卡逻辑卡号"
    )]
    pub logical_card_no: ::ykc::Bcd<8>,
    /// 第 N 个卡物理卡号 — 离线卡物理卡号
    ///
    /// ERRATA T5/R13: opaque 8 bytes, 4-byte UID right-aligned in wire order (sample 00000000D14B0A54); shown as hex of the wire bytes, never byte-swapped
    #[ykc(
        bytes,
        len = 8,
        name_zh = "第 N 个卡物理卡号",
        note_zh = "离线卡物理卡号"
    )]
    pub physical_card_no: ::ykc::Hex<8>,
}
#[doc(hidden)]
impl OfflineCardSyncRequestCardsItem {
    const __OFF: &'static [usize] = &[0usize, 0usize + (8usize * 1usize)];
    const __ALT_OFF: &'static [usize] = &[0usize, 0usize + (8usize * 1usize)];
}
impl ::ykc::Record for OfflineCardSyncRequestCardsItem {
    type View<'a> = OfflineCardSyncRequestCardsItemView<'a>;
    const FIELDS: &'static [::ykc::FieldMeta] = &[
        ::ykc::FieldMeta {
            name: "logical_card_no",
            name_zh: "第 1 个卡逻辑卡号",
            kind: ::ykc::meta::FieldKind::Bcd,
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
            note_zh: "离线卡逻辑卡号",
        },
        ::ykc::FieldMeta {
            name: "physical_card_no",
            name_zh: "第 N 个卡物理卡号",
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
            note_zh: "离线卡物理卡号",
        },
    ];
    const FIXED_LEN: usize = 0usize + (8usize * 1usize) + (8usize * 1usize);
    const ALT_LEN: usize = 0usize + (8usize * 1usize) + (8usize * 1usize);
    fn decode_at(
        bytes: &[u8],
        base: usize,
        cx: &mut ::ykc::record::DecodeCx,
    ) -> ::core::result::Result<Self, ::ykc::Error> {
        let logical_card_no: ::ykc::Bcd<8> = ::ykc::__private::read_len::<
            ::ykc::Bcd<8>,
        >(
            bytes,
            OfflineCardSyncRequestCardsItem::__OFF[0usize],
            8usize,
            &<Self as ::ykc::Record>::FIELDS[0usize],
            base,
            cx,
        );
        let physical_card_no: ::ykc::Hex<8> = ::ykc::__private::read_len::<
            ::ykc::Hex<8>,
        >(
            bytes,
            OfflineCardSyncRequestCardsItem::__OFF[1usize],
            8usize,
            &<Self as ::ykc::Record>::FIELDS[1usize],
            base,
            cx,
        );
        ::core::result::Result::Ok(Self {
            logical_card_no,
            physical_card_no,
        })
    }
    fn encode_to(
        &self,
        out: &mut ::ykc::__private::bytes::BytesMut,
        cx: &::ykc::record::EncodeCx,
    ) -> ::core::result::Result<(), ::ykc::Error> {
        ::ykc::__private::write::<
            ::ykc::Bcd<8>,
        >(
            &self.logical_card_no,
            8usize,
            &<Self as ::ykc::Record>::FIELDS[0usize],
            out,
            cx,
        )?;
        ::ykc::__private::write::<
            ::ykc::Hex<8>,
        >(
            &self.physical_card_no,
            8usize,
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
        let logical_card_no = ::ykc::__private::json_field::<
            ::ykc::Bcd<8>,
        >(obj, &<Self as ::ykc::Record>::FIELDS[0usize], path)?;
        let physical_card_no = ::ykc::__private::json_field::<
            ::ykc::Hex<8>,
        >(obj, &<Self as ::ykc::Record>::FIELDS[1usize], path)?;
        ::core::result::Result::Ok(Self {
            logical_card_no,
            physical_card_no,
        })
    }
    fn view_of(bytes: &[u8]) -> OfflineCardSyncRequestCardsItemView<'_> {
        OfflineCardSyncRequestCardsItemView {
            bytes,
            alt: Self::__is_alt(bytes),
        }
    }
    fn write_json(&self, out: &mut ::std::vec::Vec<u8>) {
        self.__write_json(out)
    }
}
impl OfflineCardSyncRequestCardsItem {
    #[doc(hidden)]
    fn __write_json(&self, out: &mut ::std::vec::Vec<u8>) {
        out.push(b'{');
        out.extend_from_slice(b"\"logical_card_no\":");
        ::ykc::WireValue::write_json_bytes(
            &self.logical_card_no,
            &<Self as ::ykc::Record>::FIELDS[0usize],
            out,
        );
        out.extend_from_slice(b",\"physical_card_no\":");
        ::ykc::WireValue::write_json_bytes(
            &self.physical_card_no,
            &<Self as ::ykc::Record>::FIELDS[1usize],
            out,
        );
        out.push(b'}');
    }
}
impl ::ykc::__private::serde::Serialize for OfflineCardSyncRequestCardsItem {
    fn serialize<S: ::ykc::__private::serde::Serializer>(
        &self,
        s: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::ykc::__private::serialize_rendered(|out| self.__write_json(out), s)
    }
}
///A zero-copy view over the bytes of a [`OfflineCardSyncRequestCardsItem`]: one accessor per field, no allocation.
#[derive(Debug, Clone, Copy)]
pub struct OfflineCardSyncRequestCardsItemView<'a> {
    bytes: &'a [u8],
    alt: bool,
}
impl<'a> OfflineCardSyncRequestCardsItemView<'a> {
    /// The bytes the view reads.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    ///`logical_card_no` 第 1 个卡逻辑卡号
    pub fn logical_card_no(&self) -> <::ykc::Bcd<8> as ::ykc::WireValue>::View<'a> {
        <::ykc::Bcd<
            8,
        > as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                OfflineCardSyncRequestCardsItem::__OFF[0usize],
                8usize,
            ),
        )
    }
    ///`physical_card_no` 第 N 个卡物理卡号
    pub fn physical_card_no(&self) -> <::ykc::Hex<8> as ::ykc::WireValue>::View<'a> {
        <::ykc::Hex<
            8,
        > as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                OfflineCardSyncRequestCardsItem::__OFF[1usize],
                8usize,
            ),
        )
    }
}
#[doc(hidden)]
impl OfflineCardSyncRequestCardsItem {
    fn __is_alt(_: &[u8]) -> bool {
        false
    }
}
/// 0x44 离线卡数据同步 — `offline_card_sync_request` (§8.11), platform → pile. Answered by 0x43.
///
/// 离线卡适用于桩离线充电模式，平台在充电桩在线时会下发此数据帧到充电桩，充电桩接收到后储存离线卡信息到桩本地（如果已存在离线卡则用最新的数据覆盖本地数据，不存在则插入），若用户刷卡充电时桩处理离线模式，则刷鉴权走桩本地进行判断。
///
/// ERRATA §4: variable length, body = 8 + 16N; check card_count == (body − 8) / 16
///
/// ERRATA D7: the 5.4 flow diagram swaps 0x43/0x44; sections win (0x44 ↓ sync, 0x43 ↑ reply)
#[derive(Debug, Clone, PartialEq, ::ykc::Frame)]
#[ykc(
    code = 0x44,
    name = "offline_card_sync_request",
    name_zh = "离线卡数据同步",
    section = "8.11",
    direction = "down",
    reply = 0x43
)]
pub struct OfflineCardSyncRequest {
    /// 桩编号
    #[ykc(bcd, len = 7, name_zh = "桩编号")]
    pub pile_code: ::ykc::Bcd<7>,
    /// 下发卡个数 — 最大 15 个
    #[ykc(uint, len = 1, name_zh = "下发卡个数", note_zh = "最大 15 个")]
    pub card_count: u8,
    /// 第 1 个卡 … 第 N 个卡
    ///
    /// ERRATA §4: the table prints only 第 1 个卡逻辑卡号 (row 3), a '........' row and 第 N 个卡物理卡号 (row N+2); the sample (count 1) shows each item = 逻辑卡号 BCD 8 + 物理卡号 BIN 8 = 16 bytes. F3: 15 cards → length byte 252 > 200; only 11 fit the 200-byte rule (encoder warns above 200)
    #[ykc(
        group,
        count = "card_count",
        max = 15,
        name_zh = "第 1 个卡 … 第 N 个卡"
    )]
    pub cards: Vec<OfflineCardSyncRequestCardsItem>,
}
#[doc(hidden)]
impl OfflineCardSyncRequest {
    const __OFF: &'static [usize] = &[
        0usize,
        0usize + (7usize * 1usize),
        0usize + (7usize * 1usize) + (1usize * 1usize),
    ];
    const __ALT_OFF: &'static [usize] = &[
        0usize,
        0usize + (7usize * 1usize),
        0usize + (7usize * 1usize) + (1usize * 1usize),
    ];
}
impl ::ykc::Record for OfflineCardSyncRequest {
    type View<'a> = OfflineCardSyncRequestView<'a>;
    const FIELDS: &'static [::ykc::FieldMeta] = &[
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
            note_zh: "",
        },
        ::ykc::FieldMeta {
            name: "card_count",
            name_zh: "下发卡个数",
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
            values: &[],
            items: &[],
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "最大 15 个",
        },
        ::ykc::FieldMeta {
            name: "cards",
            name_zh: "第 1 个卡 … 第 N 个卡",
            kind: ::ykc::meta::FieldKind::Group,
            len: <OfflineCardSyncRequestCardsItem as ::ykc::Record>::FIXED_LEN,
            alt_len: <OfflineCardSyncRequestCardsItem as ::ykc::Record>::FIXED_LEN,
            repeat: ::ykc::meta::Repeat::CountField("card_count"),
            decimals: 0u32,
            offset: 0i64,
            unit: "",
            null_when_zero: false,
            reversed: false,
            identity: false,
            bits: &[],
            values: &[],
            items: <OfflineCardSyncRequestCardsItem as ::ykc::Record>::FIELDS,
            go: "",
            go_bool: ::core::option::Option::None,
            note_zh: "",
        },
    ];
    const FIXED_LEN: usize = 0usize + (7usize * 1usize) + (1usize * 1usize);
    const ALT_LEN: usize = 0usize + (7usize * 1usize) + (1usize * 1usize);
    fn decode_at(
        bytes: &[u8],
        base: usize,
        cx: &mut ::ykc::record::DecodeCx,
    ) -> ::core::result::Result<Self, ::ykc::Error> {
        ::ykc::__private::check_len(cx.frame, bytes, Self::FIXED_LEN)?;
        let pile_code: ::ykc::Bcd<7> = ::ykc::__private::read_len::<
            ::ykc::Bcd<7>,
        >(
            bytes,
            OfflineCardSyncRequest::__OFF[0usize],
            7usize,
            &<Self as ::ykc::Record>::FIELDS[0usize],
            base,
            cx,
        );
        let card_count: u8 = ::ykc::__private::read_len::<
            u8,
        >(
            bytes,
            OfflineCardSyncRequest::__OFF[1usize],
            1usize,
            &<Self as ::ykc::Record>::FIELDS[1usize],
            base,
            cx,
        );
        let (__n, __len) = ::ykc::__private::item_count(
            cx,
            &<Self as ::ykc::Record>::FIELDS[2usize],
            bytes,
            OfflineCardSyncRequest::__OFF[2usize],
            ::core::option::Option::Some(::core::convert::Into::<u64>::into(card_count)),
            0usize,
        )?;
        let cards = ::ykc::__private::read_items::<
            OfflineCardSyncRequestCardsItem,
        >(bytes, OfflineCardSyncRequest::__OFF[2usize], __n, __len, base, cx)?;
        ::core::result::Result::Ok(Self {
            pile_code,
            card_count,
            cards,
        })
    }
    fn encode_to(
        &self,
        out: &mut ::ykc::__private::bytes::BytesMut,
        cx: &::ykc::record::EncodeCx,
    ) -> ::core::result::Result<(), ::ykc::Error> {
        ::ykc::__private::write::<
            ::ykc::Bcd<7>,
        >(&self.pile_code, 7usize, &<Self as ::ykc::Record>::FIELDS[0usize], out, cx)?;
        let __count = ::ykc::__private::count_of::<
            u8,
        >(self.cards.len(), &<Self as ::ykc::Record>::FIELDS[1usize], out.len(), cx)?;
        ::ykc::__private::write::<
            u8,
        >(&__count, 1usize, &<Self as ::ykc::Record>::FIELDS[1usize], out, cx)?;
        ::ykc::__private::write_items::<
            OfflineCardSyncRequestCardsItem,
        >(&self.cards, 15usize, &<Self as ::ykc::Record>::FIELDS[2usize], out, cx)?;
        ::core::result::Result::Ok(())
    }
    fn from_json(
        v: &::ykc::__private::serde_json::Value,
        path: &str,
    ) -> ::core::result::Result<Self, ::ykc::Error> {
        let obj = ::ykc::__private::json_object(v, path)?;
        let cards = ::ykc::__private::json_items::<
            OfflineCardSyncRequestCardsItem,
        >(obj, &<Self as ::ykc::Record>::FIELDS[2usize], path)?;
        let pile_code = ::ykc::__private::json_field::<
            ::ykc::Bcd<7>,
        >(obj, &<Self as ::ykc::Record>::FIELDS[0usize], path)?;
        let card_count = ::ykc::__private::count_of::<
            u8,
        >(
            cards.len(),
            &<Self as ::ykc::Record>::FIELDS[1usize],
            0,
            &::ykc::record::EncodeCx {
                frame: ::ykc::__private::NO_FRAME,
            },
        )?;
        ::core::result::Result::Ok(Self {
            pile_code,
            card_count,
            cards,
        })
    }
    fn view_of(bytes: &[u8]) -> OfflineCardSyncRequestView<'_> {
        OfflineCardSyncRequestView {
            bytes,
            alt: Self::__is_alt(bytes),
        }
    }
    fn write_json(&self, out: &mut ::std::vec::Vec<u8>) {
        self.__write_json(out)
    }
}
impl OfflineCardSyncRequest {
    #[doc(hidden)]
    fn __write_json(&self, out: &mut ::std::vec::Vec<u8>) {
        out.push(b'{');
        out.extend_from_slice(b"\"pile_code\":");
        ::ykc::WireValue::write_json_bytes(
            &self.pile_code,
            &<Self as ::ykc::Record>::FIELDS[0usize],
            out,
        );
        out.extend_from_slice(b",\"card_count\":");
        ::ykc::WireValue::write_json_bytes(
            &self.card_count,
            &<Self as ::ykc::Record>::FIELDS[1usize],
            out,
        );
        out.extend_from_slice(b",\"cards\":");
        ::ykc::__private::write_json_items(&self.cards, out);
        out.push(b'}');
    }
}
impl ::ykc::__private::serde::Serialize for OfflineCardSyncRequest {
    fn serialize<S: ::ykc::__private::serde::Serializer>(
        &self,
        s: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::ykc::__private::serialize_rendered(|out| self.__write_json(out), s)
    }
}
///A zero-copy view over the bytes of a [`OfflineCardSyncRequest`]: one accessor per field, no allocation.
#[derive(Debug, Clone, Copy)]
pub struct OfflineCardSyncRequestView<'a> {
    bytes: &'a [u8],
    alt: bool,
}
impl<'a> OfflineCardSyncRequestView<'a> {
    /// The bytes the view reads.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    ///`pile_code` 桩编号
    pub fn pile_code(&self) -> <::ykc::Bcd<7> as ::ykc::WireValue>::View<'a> {
        <::ykc::Bcd<
            7,
        > as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                OfflineCardSyncRequest::__OFF[0usize],
                7usize,
            ),
        )
    }
    ///`card_count` 下发卡个数
    pub fn card_count(&self) -> <u8 as ::ykc::WireValue>::View<'a> {
        <u8 as ::ykc::WireValue>::view(
            ::ykc::__private::slice(
                self.bytes,
                OfflineCardSyncRequest::__OFF[1usize],
                1usize,
            ),
        )
    }
    ///`cards` 第 1 个卡 … 第 N 个卡
    pub fn cards(
        &self,
    ) -> impl ::core::iter::Iterator<
        Item = <OfflineCardSyncRequestCardsItem as ::ykc::Record>::View<'a>,
    > + 'a {
        let rest = self
            .bytes
            .get(OfflineCardSyncRequest::__OFF[2usize]..)
            .unwrap_or_default();
        rest.chunks_exact(
                <OfflineCardSyncRequestCardsItem as ::ykc::Record>::FIXED_LEN.max(1),
            )
            .map(<OfflineCardSyncRequestCardsItem as ::ykc::Record>::view_of)
    }
}
#[doc(hidden)]
impl OfflineCardSyncRequest {
    fn __is_alt(_: &[u8]) -> bool {
        false
    }
}
impl ::ykc::Frame for OfflineCardSyncRequest {
    const CODE: u8 = 68u8;
    const META: &'static ::ykc::FrameMeta = &::ykc::FrameMeta {
        code: 68u8,
        name: "offline_card_sync_request",
        name_zh: "离线卡数据同步",
        section: "8.11",
        direction: ::ykc::Direction::Down,
        reply: ::core::option::Option::Some(67u8),
        body_len: ::ykc::meta::BodyLen {
            fixed: <Self as ::ykc::Record>::FIXED_LEN,
            item: <OfflineCardSyncRequestCardsItem as ::ykc::Record>::FIXED_LEN,
            max_items: 15usize,
            alt: 0usize,
            trailing: false,
        },
        fields: <Self as ::ykc::Record>::FIELDS,
        answer: ::core::option::Option::None,
        role: ::core::option::Option::None,
    };
}
