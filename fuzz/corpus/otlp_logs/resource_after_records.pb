
<


service.name

payments	@'2[Ë*
card declined