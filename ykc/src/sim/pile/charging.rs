//! The charging state machine of a simulated pile: its billing model, 0x34 remote start →
//! 0x33 and a charging 0x13 stream with rising energy and amount, 0x36 remote stop → 0x35,
//! 0x19 charge end and the 0x3B transaction record (kept until 0x40 confirms it).

use serde_json::Map;
use tokio::time::Instant;
use ykc::frames::{
    BmsChargeEnd, RateType, RealtimeData, RealtimeDataGunPlugged, RealtimeDataGunReturned,
    RealtimeDataStatus, RemoteStartRequest, RemoteStopRequest, StopReason, TransactionRecord,
    TransactionRecordTradeFlag,
};
use ykc::{Ascii, Bcd, CodeEnum, Cp56Time, Hex, Message, OwnedFrame};

use super::super::clock;
use super::{map, Pile, Unconfirmed, MAX_RECORDS};

/// The billing model the pile holds: number, price per rate type (energy + service,
/// ×10⁻⁵ 元/kWh, indexed by [`RateType`] code) and the rate type of each half hour.
#[derive(Debug, Clone)]
pub(super) struct Model {
    pub(super) no: [u8; 2],
    pub(super) prices: [u32; 4],
    pub(super) slots: [u8; 48],
}

impl Model {
    pub(super) fn new(no: [u8; 2]) -> Self {
        // Until the platform sends one: 尖 1.6, 峰 1.4, 平 1.2, 谷 0.8 元/kWh, all day 平.
        Model {
            no,
            prices: [160_000, 140_000, 120_000, 80_000],
            slots: [2; 48],
        }
    }

    pub(super) fn adopt(&mut self, no: [u8; 2], prices: [(u32, u32); 4], slots: &[RateType]) {
        self.no = no;
        for (p, (energy, service)) in self.prices.iter_mut().zip(prices) {
            *p = energy.saturating_add(service);
        }
        for (s, r) in self.slots.iter_mut().zip(slots) {
            *s = u8::try_from(r.code()).unwrap_or(2).min(3);
        }
    }

    /// Rate type (0..4) and price of the current half hour.
    pub(super) fn current(&self) -> (usize, u32) {
        let rate = usize::from(
            self.slots
                .get(clock::rate_slot_now())
                .copied()
                .unwrap_or(2)
                .min(3),
        );
        (rate, self.prices.get(rate).copied().unwrap_or(0))
    }
}

/// A charge in progress on one gun.
#[derive(Debug)]
pub(super) struct Charge {
    pub(super) serial: Bcd<16>,
    pub(super) started: Instant,
    pub(super) start_time: Cp56Time,
    pub(super) card: Hex<8>,
    pub(super) meter_start: u64,
    pub(super) rate: usize,
    pub(super) price: u32,
}

/// Readings of a charge at one instant.
pub(super) struct Reading {
    pub(super) energy: u64,
    pub(super) amount: u64,
    pub(super) soc: u8,
    pub(super) minutes: u16,
}

impl Pile {
    /// 0x34: start charging → 0x33 (success, or failure with the reason), then a 0x13 status change.
    pub(super) fn remote_start(&mut self, f: &OwnedFrame, msg: &Message, r: &RemoteStartRequest) {
        let gun = self.gun_index(r.gun_no);
        let fail = match gun {
            _ if r.pile_code != self.code => Some("device_code_mismatch"),
            None => Some("device_code_mismatch"),
            Some(g) if self.guns.get(g).is_some_and(|x| x.charge.is_some()) => {
                Some("gun_already_charging")
            }
            Some(_) => None,
        };
        let overrides = match fail {
            Some(reason) => map(&[("start_result", "failure"), ("fail_reason", reason)]),
            None => Map::new(),
        };
        self.answer(f, msg, &overrides);
        let (Some(g), None) = (gun, fail) else { return };
        let now = Instant::now();
        let (rate, price) = self.model.current();
        if let Some(gun) = self.guns.get_mut(g) {
            gun.charge = Some(Box::new(Charge {
                serial: r.transaction_serial,
                started: now,
                start_time: clock::now_cp56(),
                card: r.physical_card_no,
                meter_start: gun.meter,
                rate,
                price,
            }));
        }
        self.queue_realtime(g, now, None);
    }

    /// 0x36: stop → 0x35, then 0x19 charge end, the 0x3B record (resent until 0x40) and a 0x13 status change.
    pub(super) fn remote_stop(&mut self, f: &OwnedFrame, msg: &Message, r: &RemoteStopRequest) {
        let gun = self.gun_index(r.gun_no);
        let fail = match gun {
            _ if r.pile_code != self.code => Some("device_code_mismatch"),
            None => Some("device_code_mismatch"),
            Some(g) if self.guns.get(g).is_none_or(|x| x.charge.is_none()) => {
                Some("gun_not_charging")
            }
            Some(_) => None,
        };
        let overrides = match fail {
            Some(reason) => map(&[("stop_result", "failure"), ("fail_reason", reason)]),
            None => Map::new(),
        };
        self.answer(f, msg, &overrides);
        let (Some(g), None) = (gun, fail) else { return };
        let Some(gun) = self.guns.get_mut(g) else {
            return;
        };
        let Some(charge) = gun.charge.take() else {
            return;
        };
        let gun_no = gun.no;
        let now = Instant::now();
        let reading = self.reading(&charge, now);
        if let Some(gun) = self.guns.get_mut(g) {
            gun.meter = charge.meter_start.saturating_add(reading.energy);
        }
        let end = BmsChargeEnd {
            transaction_serial: charge.serial,
            pile_code: self.code,
            gun_no,
            final_soc: reading.soc,
            min_cell_voltage: 360,
            max_cell_voltage: 365,
            min_temperature: 50 + 25,
            max_temperature: 50 + 32,
            charge_time: reading.minutes,
            output_energy: u16::try_from(reading.energy / 1000).unwrap_or(u16::MAX),
            charger_no: 1,
        };
        self.queue_request(&Message::BmsChargeEnd(end));
        let record = Message::TransactionRecord(self.record(&charge, gun_no, &reading));
        if !self.queue_request(&record) {
            return;
        }
        if self.records.len() >= MAX_RECORDS {
            self.records.remove(0);
            self.stats.error("record_dropped");
        }
        self.records.push(Unconfirmed {
            serial: charge.serial,
            record,
            resends: 0,
            next: now + self.plan.args.record_resend_interval,
        });
        self.queue_realtime(g, now, None);
    }

    /// Energy (×10⁻⁴ kWh), amount (×10⁻⁴ 元), SOC and minutes of a charge at `now`.
    pub(super) fn reading(&self, c: &Charge, now: Instant) -> Reading {
        let ms =
            u64::try_from(now.saturating_duration_since(c.started).as_millis()).unwrap_or(u64::MAX);
        // P kW for t ms = P·t/3.6e6 kWh = P·t/360 ×10⁻⁴ kWh.
        let energy = ms.saturating_mul(u64::from(self.plan.args.power_kw)) / 360;
        let amount = energy.saturating_mul(u64::from(c.price)) / 100_000;
        // A 60 kWh battery from 30 %: 1 % per 0.6 kWh.
        let soc = (30 + energy / 6_000).min(100) as u8;
        let minutes = u16::try_from(ms / 60_000).unwrap_or(u16::MAX);
        Reading {
            energy,
            amount,
            soc,
            minutes,
        }
    }

    pub(super) fn record(&self, c: &Charge, gun_no: Bcd<1>, r: &Reading) -> TransactionRecord {
        let e = u32::try_from(r.energy).unwrap_or(u32::MAX);
        let a = u32::try_from(r.amount).unwrap_or(u32::MAX);
        let part = |k: usize| if k == c.rate { (e, a) } else { (0, 0) };
        let [p0, p1, p2, p3] = self.model.prices;
        let end = clock::now_cp56();
        TransactionRecord {
            transaction_serial: c.serial,
            pile_code: self.code,
            gun_no,
            start_time: c.start_time,
            end_time: end,
            sharp_price: p0,
            sharp_energy: part(0).0,
            sharp_loss_energy: part(0).0,
            sharp_amount: part(0).1,
            peak_price: p1,
            peak_energy: part(1).0,
            peak_loss_energy: part(1).0,
            peak_amount: part(1).1,
            flat_price: p2,
            flat_energy: part(2).0,
            flat_loss_energy: part(2).0,
            flat_amount: part(2).1,
            valley_price: p3,
            valley_energy: part(3).0,
            valley_loss_energy: part(3).0,
            valley_amount: part(3).1,
            meter_start: c.meter_start,
            meter_stop: c.meter_start.saturating_add(r.energy),
            total_energy: e,
            total_loss_energy: e,
            total_amount: a,
            vin: Ascii([0; 17]),
            trade_flag: TransactionRecordTradeFlag::AppStart,
            trade_time: end,
            stop_reason: StopReason::CompleteAppStop,
            physical_card_no: c.card,
            trailing: Vec::new(),
            alt_layout: false,
        }
    }

    /// Queues gun `g`'s real-time data (0x13): as a reply to `request` (0x12) or on its own.
    pub(super) fn queue_realtime(&mut self, g: usize, now: Instant, request: Option<&OwnedFrame>) {
        let Some(gun) = self.guns.get(g) else { return };
        let m = match &gun.charge {
            Some(c) => {
                let r = self.reading(c, now);
                let e = u32::try_from(r.energy).unwrap_or(u32::MAX);
                RealtimeData {
                    transaction_no: c.serial,
                    pile_code: self.code,
                    gun_no: gun.no,
                    status: RealtimeDataStatus::Charging,
                    gun_returned: RealtimeDataGunReturned::No,
                    gun_plugged: RealtimeDataGunPlugged::Yes,
                    output_voltage: 4000,
                    output_current: u16::try_from(self.plan.args.power_kw.saturating_mul(25))
                        .unwrap_or(u16::MAX),
                    gun_temperature: 50 + 35,
                    gun_line_code: 0,
                    soc: r.soc,
                    battery_max_temperature: 50 + 32,
                    charging_time: r.minutes,
                    remaining_time: u16::from(100 - r.soc.min(100)),
                    charged_energy: e,
                    loss_charged_energy: e,
                    charged_amount: u32::try_from(r.amount).unwrap_or(u32::MAX),
                    hardware_fault: 0,
                }
            }
            None => RealtimeData {
                transaction_no: Bcd([0; 16]),
                pile_code: self.code,
                gun_no: gun.no,
                status: RealtimeDataStatus::Idle,
                gun_returned: RealtimeDataGunReturned::Yes,
                gun_plugged: RealtimeDataGunPlugged::No,
                output_voltage: 0,
                output_current: 0,
                gun_temperature: 0,
                gun_line_code: 0,
                soc: 0,
                battery_max_temperature: 0,
                charging_time: 0,
                remaining_time: 0,
                charged_energy: 0,
                loss_charged_energy: 0,
                charged_amount: 0,
                hardware_fault: 0,
            },
        };
        let m = Message::RealtimeData(m);
        match request {
            Some(f) => self.queue_reply(f, &m),
            None => {
                self.queue_request(&m);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_prices() {
        let mut m = Model::new([0, 0]);
        assert_eq!(m.current().0, 2);
        m.adopt(
            [1, 0],
            [(100, 1), (200, 2), (300, 3), (400, 4)],
            &[RateType::Valley; 48],
        );
        assert_eq!(m.current(), (3, 404));
        assert_eq!(m.no, [1, 0]);
    }
}
