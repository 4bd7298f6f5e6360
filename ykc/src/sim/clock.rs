//! The piles' local time (UTC+8) as CP56Time2a, and the current half-hour rate slot.

use crate::Cp56Time;

/// Now, as the pile's clock shows it.
pub(crate) fn now_cp56() -> Cp56Time {
    // A clock outside CP56Time2a's years (2000-2099) sends the all-zero time, which the platform
    // reports as invalid: a better outcome for a load generator than stopping.
    Cp56Time::now().unwrap_or_default()
}

/// The half-hour rate slot (0–47) of the local time now.
pub(crate) fn rate_slot_now() -> usize {
    now_cp56()
        .datetime()
        .map_or(0, |d| usize::from(d.hour) * 2 + usize::from(d.minute >= 30))
}

#[cfg(test)]
mod tests {
    #[test]
    fn slot_is_in_range() {
        assert!(super::rate_slot_now() < 48);
        assert!(super::now_cp56().datetime().is_some());
    }
}
