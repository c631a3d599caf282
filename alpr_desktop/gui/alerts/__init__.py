"""The dispatcher's Alerts page: the queue, one alert's detail, the disposition, the tone."""
